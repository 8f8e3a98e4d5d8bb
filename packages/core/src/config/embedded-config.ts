import { findProgram } from '../util/find-program.js';

/**
 * The config used when no config file is found: one sshd jail on the system's auth log (or journald)
 * banning with nftables — or, when no firewall is usable (not root, or no `nft`), writing ban events
 * to `var/bans.jsonl` with the dry-run action, so a first run shows the engine at work anyway.
 */
export function embeddedConfig(): Record<string, unknown> {
  const firewall = process.getuid?.() === 0 && findProgram('nft') !== undefined;
  return {
    plugins: firewall ? ['@portcullis/filter-sshd', '@portcullis/action-nftables'] : ['@portcullis/filter-sshd'],
    defaults: { bantime: '10m', findtime: '10m', maxretry: 5, ignoreip: ['127.0.0.1/8', '::1'] },
    jails: {
      sshd: {
        filter: 'sshd',
        logpath: '/var/log/auth.log',
        backend: 'auto',
        port: 'ssh',
        // A distributed brute force (one user name, many addresses) is what per-host counting misses.
        campaign: { failures: 20, sources: 10, findtime: '1h', duration: '12h', maxretry: 3 },
        actions: firewall ? ['nftables'] : [{ id: 'dry-run', options: { file: 'var/bans.jsonl' } }],
      },
    },
  };
}

export { findProgram };
