import { portcullisProject } from '../../vitest.shared.js';

// Every test talks to a real firewalld through python tools (firewall-cmd, ufw): each call takes a few hundred ms.
export default portcullisProject('action-firewalld', { testTimeout: 120_000, hookTimeout: 120_000 });
