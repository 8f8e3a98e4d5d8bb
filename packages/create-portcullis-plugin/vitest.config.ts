import { defineProject } from 'vitest/config';

export default defineProject({ extends: true, test: { name: 'create-portcullis-plugin', include: ['test/**/*.test.ts'] } });
