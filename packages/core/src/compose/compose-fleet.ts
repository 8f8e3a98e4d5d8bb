import { hostname } from 'node:os';
import type { PortcullisConfig } from '../config/config-schema.js';
import type { FleetDefinition, FleetShare } from '../contract/fleet.js';
import type { PluginRegistry } from '../plugins/resolve-plugins.js';

/** The `fleet` section composed: its backend found among the plugins and its options validated. */
export interface ComposedFleet {
  readonly name: string;
  readonly node: string;
  readonly share: readonly FleetShare[];
  readonly backend: string;
  // biome-ignore lint/suspicious/noExplicitAny: options types differ per backend
  readonly definition: FleetDefinition<any>;
  readonly options: unknown;
  readonly plugin: string;
}

const OWN_KEYS = new Set(['name', 'share', 'node']);

/** This host's name as a fleet node name (`[A-Za-z0-9_.-]`, at most 64). */
export function defaultNodeName(): string {
  return hostname().replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'node';
}

/**
 * Compose `fleet:`. The section names exactly one backend by a key that is a fleet backend id of a loaded
 * plugin (`redis:`), whose value that backend's schema validates. Problems go to `problems` with their paths.
 */
export async function composeFleet(section: PortcullisConfig['fleet'], registry: PluginRegistry, problems: { push(...lines: string[]): void }): Promise<ComposedFleet | undefined> {
  if (section === undefined) return undefined;
  const backends = Object.keys(section).filter((k) => !OWN_KEYS.has(k));
  const known = [...registry.fleets.keys()];
  if (backends.length !== 1) {
    problems.push(
      `fleet: ${backends.length ? `several backends (${backends.join(', ')}); choose one` : 'no backend'}; ${
        known.length ? `installed: ${known.join(', ')}` : 'no fleet backend is installed (add "@portcullis/fleet-redis" to plugins: and install it)'
      }`,
    );
    return undefined;
  }
  const backend = backends[0]!;
  const entry = registry.fleets.get(backend);
  if (!entry) {
    problems.push(`fleet.${backend}: unknown fleet backend "${backend}"; ${known.length ? `installed: ${known.join(', ')}` : 'add "@portcullis/fleet-redis" to plugins: and install it'}`);
    return undefined;
  }
  let options: unknown = (section as Record<string, unknown>)[backend];
  const schema = entry.definition.options;
  if (schema) {
    const result = await schema['~standard'].validate(options);
    if (result.issues) {
      for (const issue of result.issues) {
        const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
        problems.push(`fleet.${backend}${path.length ? `.${path.join('.')}` : ''}: ${issue.message}`);
      }
      return undefined;
    }
    options = result.value;
  }
  return { name: section.name, node: section.node ?? defaultNodeName(), share: [...new Set(section.share)], backend, definition: entry.definition, options, plugin: entry.plugin };
}
