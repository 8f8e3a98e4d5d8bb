import {
  type CustomMatcher,
  type Failure,
  type LogLine,
  detach,
  detachLine,
  parseAddress,
} from '@portcullis/core';

/**
 * `kex_exchange_identification: …` (OpenSSH ≥ 8.0, a client that connects and drops or speaks no SSH)
 * names no host: sshd prints the peer on the NEXT line of the same process, `Connection closed by
 * 192.0.2.1 port 4242` (no `[preauth]`). A failregex cannot look ahead, and a host-less `pending` rule has
 * nothing to hold, so this small matcher remembers the kex line per pid and reports it, with the host of
 * that next line, when the next line is such a bare connection end. Any other next line (e.g.
 * `banner exchange: … invalid format`, which counts by itself) drops the remembered line.
 */
const KEX = /^(?:error: )?kex_exchange_identification: /;
/** The host sshd prints after a failed identification exchange; addresses only (sshd prints no names here). */
const CLOSED = /^Connection (?:closed|reset) by \[?([0-9A-Fa-f:.]{2,45})\]?(?: port \d{1,5})?$/;
/** Verbose `Connection from H port N on …`: the host is known before the kex line. */
const FROM = /^Connection from \[?([0-9A-Fa-f:.]{2,45})\]? port \d{1,5}(?: on |$)/;

/** Entries older than this are dropped (an identification exchange times out long before). */
const MAX_AGE_MS = 10 * 60_000;
/** Bound on remembered processes; the oldest go first. */
const MAX_IDS = 10_000;

/** Canonical report form: IPv4-mapped IPv6 as IPv4, other IPv6 lower-cased. */
function reportAddress(text: string): string | undefined {
  const ip = parseAddress(text);
  if (!ip) return undefined;
  return ip.family === 4 ? ip.canonical : text.toLowerCase();
}

/** Creates the matcher; `active` is false in modes that do not count identification failures. */
export function kexMatcher(active: boolean): CustomMatcher {
  const waiting = new Map<string, LogLine>();
  const peers = new Map<string, { host: string; time: number }>();
  const remember = <V>(map: Map<string, V>, key: string, value: V): void => {
    map.delete(key);
    if (map.size >= MAX_IDS) map.delete(map.keys().next().value as string);
    map.set(key, value);
  };
  return {
    match(line: LogLine): readonly Failure[] | undefined {
      if (!active || line.pid === undefined) return undefined;
      const message = line.message;
      const pid = line.pid;
      // First-character checks keep this matcher to a compare or two on the lines it has no business with.
      const first = message.charCodeAt(0);
      if ((first === 101 || first === 107) && KEX.test(message)) {
        const known = peers.get(pid);
        peers.delete(pid);
        if (known !== undefined && !(line.time - known.time > MAX_AGE_MS)) {
          return [{ host: known.host, time: line.time, line, rule: -1 }];
        }
        // Kept until the process's next line: a copy, or it would hold its whole read buffer alive.
        remember(waiting, pid, detachLine(line));
        return undefined;
      }
      const from = first === 67 ? FROM.exec(message) : null;
      if (from !== null) {
        const host = reportAddress(from[1]!);
        if (host !== undefined) remember(peers, pid, { host: detach(host), time: line.time });
        return undefined;
      }
      if (waiting.size === 0) return undefined;
      const kex = waiting.get(pid);
      if (kex === undefined) return undefined;
      waiting.delete(pid);
      peers.delete(pid);
      const closed = CLOSED.exec(message);
      if (closed === null) return undefined;
      if (Number.isFinite(line.time) && Number.isFinite(kex.time) && line.time - kex.time > MAX_AGE_MS)
        return undefined;
      const host = reportAddress(closed[1]!);
      return host === undefined ? undefined : [{ host, time: kex.time, line: kex, rule: -1 }];
    },
  };
}
