import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'action-nftables', include: ['test/**/*.test.ts'] } });
