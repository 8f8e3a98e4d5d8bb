import { formatDuration } from '@portcullis/core';
import { effectiveBackend, loadConfig } from '@portcullis/core/engine';

/** `portcullis check-config`: validate, then print the composed jails. */
export async function runCheckConfig(args: { configPath?: string | undefined; json: boolean }): Promise<number> {
  const loaded = await loadConfig({ configPath: args.configPath });
  const jails = loaded.jails.map((j) => ({
    name: j.name,
    enabled: j.enabled,
    filter: j.filter.id,
    filterOptions: j.filterOptions,
    backend: effectiveBackend(j),
    logpath: j.logpath,
    journalmatch: j.journalmatch,
    actions: j.actions.map((a) => ({ id: a.id, plugin: a.plugin, options: a.options })),
    bantime: j.bantime,
    findtime: j.findtime,
    maxretry: j.maxretry,
    ignoreip: j.ignoreip,
    ignoreself: j.ignoreself,
    ports: j.ports,
    protocol: j.protocol,
  }));
  const summary = {
    config: loaded.file ?? null,
    embedded: loaded.embedded,
    database: loaded.config.database,
    socket: loaded.config.socket,
    plugins: loaded.registry.plugins.map((p) => p.name),
    jails,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  out.push(`config: ${loaded.file ?? '(embedded defaults: no config file found)'} — OK`);
  out.push(`database: ${summary.database}`, `socket: ${summary.socket}`, `plugins: ${summary.plugins.join(', ') || '(none)'}`);
  for (const j of jails) {
    out.push('', `jail ${j.name}${j.enabled ? '' : ' (disabled)'}`);
    const opts = Object.entries(j.filterOptions).map(([k, v]) => `${k}=${v}`).join(' ');
    out.push(`  filter    ${j.filter}${opts ? ` (${opts})` : ''}`);
    out.push(`  source    ${j.backend}${j.backend === 'journal' ? ` ${j.journalmatch.join(' ')}` : j.backend === 'file' ? ` ${j.logpath.join(', ')}` : ''}`);
    out.push(`  actions   ${j.actions.map((a) => a.id).join(', ') || '(none)'}`);
    out.push(`  limits    maxretry ${j.maxretry} within ${formatDuration(j.findtime)}, ban ${formatDuration(j.bantime)}`);
    out.push(`  ignore    ${[...j.ignoreip, ...(j.ignoreself ? ['(self)'] : [])].join(', ')}`);
    if (j.ports.length) out.push(`  ports     ${j.ports.join(',')}/${j.protocol}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
