import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'store-sqlite', include: ['test/**/*.test.ts'] } });
