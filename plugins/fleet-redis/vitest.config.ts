import { portcullisProject } from '../../vitest.shared.js';

export default portcullisProject('fleet-redis');
