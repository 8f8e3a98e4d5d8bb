import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'testkit', include: ['test/**/*.test.ts'] } });
