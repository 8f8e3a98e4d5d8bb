import { definePlugin } from '@portcullis/core';
import { sshd } from './sshd-filter.js';

export { sshd };

/** `@portcullis/filter-sshd`: the `sshd` filter (OpenSSH server). */
export default definePlugin({ name: '@portcullis/filter-sshd', filters: [sshd] });
