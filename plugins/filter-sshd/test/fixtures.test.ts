import { fileURLToPath } from 'node:url';
import { describeFilterPlugin } from '@portcullis/testkit/vitest';
import plugin from '../src/index.js';

describeFilterPlugin(plugin, fileURLToPath(new URL('./fixtures/', import.meta.url)));
