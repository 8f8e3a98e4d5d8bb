import { describe, expect, it } from 'vitest';
import { mapAction, parseParams } from '../src/commands/fail2ban-actions.js';

// fail2ban action lines as `portcullis import fail2ban` maps them (the whole import runs through a daemon
// in test/import-fail2ban.test.ts; these are the action names that test's jail.local does not use).
describe('fail2ban actions → Portcullis actions', () => {
  const map = (line: string) => {
    const report: string[] = [];
    return { action: mapAction(line, 'jails.x.action', report), report };
  };

  it('reads fail2ban parameters, quoted or not, and appended brackets', () => {
    expect(parseParams('name=sshd, port="ssh,2222", protocol=tcp')).toEqual({ name: 'sshd', port: 'ssh,2222', protocol: 'tcp' });
    expect(map('iptables-multiport[port="5060", protocol="tcp"][name=a-udp, protocol="udp"]').action).toMatchObject({ id: 'iptables', port: '5060', protocol: 'udp' });
  });

  it('maps firewall, hosts.deny, route and mail actions', () => {
    expect(map('iptables-ipset-proto6-allports[name=x, chain=FORWARD, blocktype=DROP]').action).toMatchObject({ id: 'iptables', options: { ipset: true, chain: 'FORWARD', blocktype: 'DROP' }, allports: true });
    expect(map('nftables-allports[blocktype=reject]').action).toMatchObject({ id: 'nftables', plugin: '@portcullis/action-nftables', options: { blocktype: 'reject' }, allports: true });
    expect(map('hostsdeny[file=/etc/hosts.deny.test]').action).toMatchObject({ id: 'hostsdeny', options: { file: '/etc/hosts.deny.test' } });
    expect(map('route[blocktype=unreachable]').action).toMatchObject({ id: 'route', options: { type: 'unreachable' } });
    const mail = map('mail-whois[name=x, dest="ops@example.com", sender="f2b@example.com"]');
    expect(mail.action).toMatchObject({ id: 'email', options: { to: 'ops@example.com', from: 'f2b@example.com' } });
    expect(mail.report).toEqual([expect.stringMatching(/mail-whois: whois, log lines and geoip/)]);
  });

  it('reports what it cannot map', () => {
    expect(map('ufw[application=OpenSSH]')).toEqual({ action: undefined, report: ['jails.x.action: action ufw has no Portcullis equivalent; left out'] });
    expect(map('sendmail[dest="root@<fq-hostname>", sender=a@b.c]').report).toEqual([expect.stringMatching(/dest=root@<fq-hostname> is not one plain address/)]);
    expect(map('iptables-multiport[port=ssh, chain=<known/chain>, lockingopt=-w]').report).toEqual(['jails.x.action: iptables-multiport: lockingopt=-w not mapped']);
  });
});

describe('fail2ban jails → Portcullis jails', () => {
  it('maps a systemd backend to the journal with its journalmatch, and globs and hostsdeny as written', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { importFail2ban } = await import('../src/commands/fail2ban-jails.js');
    const dir = mkdtempSync(join(tmpdir(), 'pcl-f2b-jails-'));
    try {
      mkdirSync(join(dir, 'filter.d'));
      writeFileSync(join(dir, 'filter.d/myapp.conf'), '[Definition]\nfailregex = ^denied \\S+ from <HOST>$\n');
      writeFileSync(join(dir, 'jail.conf'), '[DEFAULT]\nbackend = auto\nbanaction = hostsdeny\naction = %(banaction)s[name=%(__name__)s]\n');
      writeFileSync(
        join(dir, 'jail.local'),
        '[myapp]\nenabled = true\nbackend = systemd\njournalmatch = _SYSTEMD_UNIT=myapp.service + _COMM=myapp\n\n[web]\nenabled = true\nfilter = myapp\nlogpath = /var/log/web/*.log\n          /var/log/web2.log\n',
      );
      const { config, report } = await importFail2ban(dir, async () => undefined);
      expect(config.jails).toEqual({
        myapp: { filter: 'fail2ban:myapp', backend: 'journal', journalmatch: ['_SYSTEMD_UNIT=myapp.service', '+', '_COMM=myapp'], actions: ['hostsdeny'] },
        web: { filter: 'fail2ban:myapp', backend: 'file', logpath: ['/var/log/web/*.log', '/var/log/web2.log'], actions: ['hostsdeny'] },
      });
      expect(config.plugins).toEqual(['@portcullis/action-hostsdeny']);
      expect(report).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
