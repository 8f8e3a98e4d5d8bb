import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'portcullis', include: ['test/**/*.test.ts'] } });
