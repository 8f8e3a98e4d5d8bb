import { portcullisProject } from '../../vitest.shared.js';

export default portcullisProject('create-portcullis-plugin');
