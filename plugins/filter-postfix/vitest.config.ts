import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'filter-postfix', include: ['test/**/*.test.ts'] } });
