/**
 * The config used when no config file is found: one sshd jail on the system's auth log (or journald)
 * with nftables. The daemon swaps nftables for the dry-run action when no firewall is usable, so a
 * first run without root still shows the engine at work.
 */
export function embeddedConfig(): Record<string, unknown> {
  return {
    plugins: ['@portcullis/filter-sshd', '@portcullis/action-nftables'],
    defaults: { bantime: '10m', findtime: '10m', maxretry: 5, ignoreip: ['127.0.0.1/8', '::1'] },
    jails: {
      sshd: { filter: 'sshd', logpath: '/var/log/auth.log', backend: 'auto', port: 'ssh', actions: ['nftables'] },
    },
  };
}
