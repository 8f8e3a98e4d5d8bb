import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'filter-vsftpd', include: ['test/**/*.test.ts'] } });
