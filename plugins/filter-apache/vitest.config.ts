import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'filter-apache', include: ['test/**/*.test.ts'] } });
