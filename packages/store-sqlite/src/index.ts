export { SqliteBanStore } from './sqlite-ban-store.js';
