import { portcullisProject } from '../../vitest.shared.js';

export default portcullisProject('action-abuseipdb');
