import { discoverPlugins, loadPlugin, readConfigFile } from '@portcullis/core/engine';

/** `portcullis plugins`: what is installed next to the config, and what the config wants but lacks. */
export async function runPluginsCommand(args: { configPath?: string | undefined; json: boolean }): Promise<number> {
  const { raw, dir, file } = await readConfigFile({ configPath: args.configPath });
  const configured = Array.isArray((raw as { plugins?: unknown })?.plugins) ? (raw as { plugins: string[] }).plugins : [];
  const installed = [];
  for (const p of discoverPlugins(dir)) {
    try {
      const plugin = await loadPlugin(p.name, dir);
      installed.push({ ...p, filters: plugin.filters.map((f) => f.id), actions: plugin.actions.map((a) => a.id), error: undefined as string | undefined });
    } catch (error) {
      installed.push({ ...p, filters: [], actions: [], error: (error as Error).message });
    }
  }
  const names = new Set(installed.map((p) => p.name));
  const missing = configured.filter((n) => !n.startsWith('.') && !n.startsWith('/') && !names.has(n));
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ config: file ?? null, dir, installed, missing }, null, 2)}\n`);
    return missing.length ? 1 : 0;
  }
  const out = [`plugins visible from ${dir}${file ? ` (config ${file})` : ''}:`];
  if (!installed.length) out.push('  (none)');
  for (const p of installed) {
    const what = [p.filters.length ? `filters: ${p.filters.join(', ')}` : '', p.actions.length ? `actions: ${p.actions.join(', ')}` : ''].filter(Boolean).join('; ');
    out.push(`  ${p.name}@${p.version}${configured.includes(p.name) ? ' (configured)' : ''}  ${p.error ? `ERROR: ${p.error}` : what}`);
  }
  if (missing.length) {
    out.push('', 'configured but not installed:');
    for (const m of missing) out.push(`  ${m}`);
    out.push('', `install them with:\n  cd ${dir} && npm install ${missing.join(' ')}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return missing.length ? 1 : 0;
}
