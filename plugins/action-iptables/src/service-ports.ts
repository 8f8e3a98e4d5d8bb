import { readFileSync } from 'node:fs';

/** A port number, a service name from /etc/services, or a `from:to` range. */
const PORT = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}(?::\d{1,5})?$/;

let services: Map<string, string> | undefined;

/**
 * Service names from /etc/services (names and aliases, any protocol). iptables resolves a name only for the
 * rule's own protocol — Debian lists `ssh` as 22/tcp alone, so `-p udp --dports ssh` fails — while a jail's
 * port names mean the port whatever the protocol: we pass numbers.
 */
function serviceTable(file: string): Map<string, string> {
  const out = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const [name, portProto, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    const port = portProto?.split('/')[0];
    if (!name || !port || !/^\d+$/.test(port)) continue;
    for (const n of [name, ...aliases]) if (!out.has(n)) out.set(n, port);
  }
  return out;
}

/**
 * A jail's port as iptables `multiport` wants it: numbers and `from:to` ranges pass through, service names
 * become their number. Throws on anything else (the engine validated ports already; they still become
 * iptables arguments) and on an unknown service name.
 */
export function numericPort(jail: string, port: string, file = '/etc/services'): string {
  if (!PORT.test(port)) throw new Error(`jail ${jail}: invalid port "${port}" (use 22, ssh or 8000:8100)`);
  if (/^\d+(?::\d+)?$/.test(port)) return port;
  services ??= serviceTable(file);
  const number = services.get(port);
  if (!number) throw new Error(`jail ${jail}: unknown service name "${port}" (not in ${file}): use the port number`);
  return number;
}
