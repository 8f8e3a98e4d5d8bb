/** A fail2ban `action = name[params]` line as one of our actions. */
export interface ImportedAction {
  readonly id: string;
  readonly plugin: string;
  readonly options: Record<string, unknown>;
  /** The `port` a firewall action was given (the jail's, as fail2ban passes it); undefined for the others. */
  readonly port: string | undefined;
  /** The protocol the action was given (`tcp`, `udp`, `all`). */
  readonly protocol: string | undefined;
  /** A firewall action that blocks every port (`*-allports`): the jail then names no port. */
  readonly allports: boolean;
}

const MAIL = /^(?:mail|mail-whois|mail-whois-lines|mail-buffered|sendmail|sendmail-whois|sendmail-whois-lines|sendmail-whois-matches|sendmail-whois-ipmatches|sendmail-whois-ipjailmatches|sendmail-buffered|sendmail-geoip-lines)$/;

/**
 * Maps one action line: iptables-* (ipset variants with `ipset: true`), nftables-*, hostsdeny, route and the
 * mail/sendmail family (`dest` → `to`, `sender` → `from`). Anything else is reported and left out.
 */
export function mapAction(line: string, at: string, report: string[]): ImportedAction | undefined {
  const m = /^([^[\s]+)(?:\[(.*)\])?$/s.exec(line);
  if (!m) {
    report.push(`${at}: cannot read action ${line}; left out`);
    return undefined;
  }
  const name = m[1]!;
  // `%(default/action_)s[name=…-tcp, protocol="tcp"]` appends a second bracket: later values win.
  const params = parseParams((m[2] ?? '').replace(/\]\s*\[/g, ', '));
  const port = params.port;
  const allports = name.endsWith('-allports');
  const unused = (used: readonly string[]) => {
    // Values that are fail2ban tags (`<known/chain>`) are the action file's own defaults: nothing to map.
    const rest = Object.keys(params).filter((k) => !used.includes(k) && k !== 'name' && k !== 'port' && k !== 'protocol' && !/^<.*>$/.test(params[k]!));
    if (rest.length) report.push(`${at}: ${name}: ${rest.map((k) => `${k}=${params[k]}`).join(', ')} not mapped`);
  };
  const iptables = /^iptables(?:-(?:multiport|new|allports|multiport-log|ipset|ipset-proto4|ipset-proto6|ipset-proto6-allports))?$/.exec(name);
  if (iptables) {
    const options: Record<string, unknown> = {};
    if (name.includes('ipset')) options.ipset = true;
    if (params.chain && params.chain !== 'INPUT' && /^[A-Za-z0-9_-]{1,28}$/.test(params.chain)) options.chain = params.chain;
    const blocktype = params.blocktype?.split(/\s/)[0];
    if (blocktype === 'DROP') options.blocktype = 'DROP';
    if (name === 'iptables-multiport-log') report.push(`${at}: ${name}: the LOG rule is not mapped; bans work as iptables-multiport`);
    unused(['chain', 'blocktype']);
    return { id: 'iptables', plugin: '@portcullis/action-iptables', options, port, allports, protocol: params.protocol };
  }
  if (/^nftables(?:-multiport|-allports)?$/.test(name)) {
    const options: Record<string, unknown> = {};
    if (params.blocktype === 'reject') options.blocktype = 'reject';
    unused(['blocktype', 'chain']);
    return { id: 'nftables', plugin: '@portcullis/action-nftables', options, port, allports, protocol: params.protocol };
  }
  if (name === 'hostsdeny') {
    const options: Record<string, unknown> = {};
    if (params.file) options.file = params.file;
    unused(['file']);
    return { id: 'hostsdeny', plugin: '@portcullis/action-hostsdeny', options, port: undefined, allports: false, protocol: undefined };
  }
  if (name === 'route') {
    const options: Record<string, unknown> = {};
    if (params.blocktype && /^(?:blackhole|unreachable|prohibit)$/.test(params.blocktype)) options.type = params.blocktype;
    unused(['blocktype']);
    return { id: 'route', plugin: '@portcullis/action-route', options, port: undefined, allports: false, protocol: undefined };
  }
  if (MAIL.test(name)) {
    const options: Record<string, unknown> = {};
    const plain = (v: string | undefined) => v !== undefined && /^[^\s<>@]+@[^\s<>@]+$/.test(v);
    if (plain(params.dest)) options.to = params.dest;
    else if (params.dest) report.push(`${at}: ${name}: dest=${params.dest} is not one plain address; left to the default (root@localhost)`);
    if (plain(params.sender)) options.from = params.sender;
    else if (params.sender) report.push(`${at}: ${name}: sender=${params.sender} is not one plain address (fail2ban tags such as <fq-hostname> are not expanded); left to the default`);
    if (name !== 'mail' && name !== 'sendmail') report.push(`${at}: ${name}: whois, log lines and geoip in the message are not mapped; the message lists the failures`);
    unused(['dest', 'sender', 'sendername', 'logpath', 'mailcmd', 'mailargs']);
    return { id: 'email', plugin: '@portcullis/action-email', options, port: undefined, allports: false, protocol: undefined };
  }
  report.push(`${at}: action ${name} has no Portcullis equivalent; left out`);
  return undefined;
}

/** fail2ban's `key=value, key2="a, b"` parameters. */
export function parseParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([\w.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^,]*)\s*(?:,|$)/gy;
  for (let m = re.exec(text); m && m[0] !== ''; m = re.exec(text)) {
    let v = m[2]!.trim();
    if (/^(["']).*\1$/s.test(v)) v = v.slice(1, -1);
    out[m[1]!] = v;
  }
  return out;
}
