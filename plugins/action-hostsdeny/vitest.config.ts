import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'action-hostsdeny', include: ['test/**/*.test.ts'] } });
