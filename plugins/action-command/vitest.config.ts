import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'action-command', include: ['test/**/*.test.ts'] } });
