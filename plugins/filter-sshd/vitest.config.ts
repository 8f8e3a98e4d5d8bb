import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'filter-sshd', include: ['test/**/*.test.ts'] } });
