import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'action-iptables', include: ['test/**/*.test.ts'] } });
