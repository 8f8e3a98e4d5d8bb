import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'filter-lighttpd', include: ['test/**/*.test.ts'] } });
