import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'core', include: ['test/**/*.test.ts'] } });
