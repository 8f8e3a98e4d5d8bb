import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'filter-courier', include: ['test/**/*.test.ts'] } });
