import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'filter-qmail', include: ['test/**/*.test.ts'] } });
