import type { PortcullisConfigInput } from '@portcullis/core/engine';

/** Typed helper for `portcullis.config.ts`/`.mjs`: `export default defineConfig({ jails: { … } })`. */
export function defineConfig(config: PortcullisConfigInput): PortcullisConfigInput {
  return config;
}
