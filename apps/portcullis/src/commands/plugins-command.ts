import { discoverPlugins, installHint, loadPlugin, pluginSearchPath, readConfigFile } from '@portcullis/core/plugin-loading';

/**
 * `portcullis plugins`: the plugins visible from the config's folder, where portcullis is installed and
 * PORTCULLIS_PLUGIN_PATH (the places `start` loads them from), and what the config wants but lacks.
 */
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
  const searched = pluginSearchPath(dir).map((p) => ({ dir: p.dir, why: p.why }));
  const names = new Set(installed.map((p) => p.name));
  const missing = configured.filter((n) => !n.startsWith('.') && !n.startsWith('/') && !names.has(n));
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ config: file ?? null, dir, searched, installed, missing }, null, 2)}\n`);
    return missing.length ? 1 : 0;
  }
  const out = [`plugins visible from ${searched.map((p) => `${p.dir} (${p.why})`).join(', ')}${file ? `; config ${file}` : ''}:`];
  if (!installed.length) out.push('  (none)');
  for (const p of installed) {
    const what = [p.filters.length ? `filters: ${p.filters.join(', ')}` : '', p.actions.length ? `actions: ${p.actions.join(', ')}` : ''].filter(Boolean).join('; ');
    out.push(`  ${p.name}@${p.version}${configured.includes(p.name) ? ' (configured)' : ''}  ${p.error ? `ERROR: ${p.error}` : what}`);
  }
  if (missing.length) {
    out.push('', 'configured but not installed:');
    for (const m of missing) out.push(`  ${m}`, `    ${installHint(m, dir).replace(/\n\s+/g, '\n    ')}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return missing.length ? 1 : 0;
}
