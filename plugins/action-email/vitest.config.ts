import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'action-email', include: ['test/**/*.test.ts'] } });
