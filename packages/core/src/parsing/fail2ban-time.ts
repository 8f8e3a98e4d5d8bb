/**
 * fail2ban's time arithmetic for the dates its templates find (a port of `fail2ban/server/strptime.py`):
 * the strftime field regexes (`timeRE`, including fail2ban's `%Ex…` and `%k`/`%l` additions) and the time of
 * a match's named groups (`reGroupDictStrptime`): a missing year is this year unless that puts the line more
 * than a day in the future, a missing day is today (yesterday when that is in the future), and zone names
 * are read as fail2ban's fixed offsets.
 */

const TZ_ABBR = '[A-Z](?:[A-Z]{2,4})?';

/**
 * The regex (Python syntax, as fail2ban writes it) of each strftime field, with named groups as fail2ban names
 * them. `%ExY` takes the years from 2000 to three years from today (the real date, as fail2ban's).
 */
export function timeFields(now: number = Date.now()): Readonly<Record<string, string>> {
  return {
    '%': '%',
    A: '(?P<A>wednesday|thursday|saturday|tuesday|monday|friday|sunday)',
    B: '(?P<B>september|february|november|december|january|october|august|march|april|june|july|may)',
    ExH: '(?P<H>[0-1]\\d|2[0-3])',
    ExM: '(?P<M>[0-5]\\d)',
    ExS: '(?P<S>[0-5]\\d|6[0-1])',
    ExY: `(?P<Y>${yearCenturies(now)}\\d)`,
    ExZ: `(?P<Z>${TZ_ABBR})`,
    Exd: '(?P<d>[1-2]\\d|0[1-9]|3[0-1])',
    Exk: ' ?(?P<H>[0-1]?\\d|2[0-3])',
    Exl: ' ?(?P<I>1[0-2]|\\d)',
    Exm: '(?P<m>0[1-9]|1[0-2])',
    Exy: '(?P<y>\\d{2})',
    Exz: `(?P<z>(?:${TZ_ABBR})?[+-][01]\\d(?::?\\d{2})?|${TZ_ABBR})`,
    G: '(?P<G>\\d\\d\\d\\d)',
    H: '(?P<H>[0-1]?\\d|2[0-3])',
    I: '(?P<I>1[0-2]|0[1-9]|[1-9])',
    M: '(?P<M>[0-5]?\\d)',
    S: '(?P<S>[0-5]?\\d|6[0-1])',
    U: '(?P<U>5[0-3]|[0-4]\\d|\\d)',
    V: '(?P<V>5[0-3]|0[1-9]|[1-4]\\d|\\d)',
    W: '(?P<W>5[0-3]|[0-4]\\d|\\d)',
    X: '(?P<H>2[0-3]|[0-1]\\d|\\d):(?P<M>[0-5]\\d|\\d):(?P<S>6[0-1]|[0-5]\\d|\\d)',
    Y: '(?P<Y>\\d{4})',
    Z: '(?P<Z>Z|[A-Z]{3,5})',
    a: '(?P<a>mon|tue|wed|thu|fri|sat|sun)',
    b: '(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)',
    d: '(?P<d>[1-2]\\d|[0 ]?[1-9]|3[0-1])',
    f: '(?P<f>[0-9]{1,6})',
    j: '(?P<j>36[0-6]|3[0-5]\\d|[1-2]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])',
    k: ' ?(?P<H>[0-2]?\\d)',
    l: ' ?(?P<I>1?\\d)',
    m: '(?P<m>0?[1-9]|1[0-2])',
    p: '(?P<p>am|pm)',
    u: '(?P<u>[1-7])',
    w: '(?P<w>[0-6])',
    x: '(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])/(?P<y>\\d\\d)',
    y: '(?P<y>\\d\\d)',
    z: '(?P<z>Z|UTC|GMT|[+-][01]\\d(?::?\\d{2})?)',
  };
}

/** `%ExY`'s decades: from 2000 to three years ahead (`20[012]` until 2026). */
function yearCenturies(now: number): string {
  const last = Math.floor((new Date(now).getFullYear() + 3) / 10) - 200;
  const digits = Array.from({ length: Math.max(1, last + 1) }, (_v, i) => i);
  if (digits.length > 10) return '(?:20|21)\\d';
  return `20[${digits.join('')}]`;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** fail2ban's `TZ_STR`: fixed offsets (hours) of zone abbreviations. */
const ZONES = `-12 Y|-11 X NUT SST|-10 W CKT HAST HST TAHT TKT|-9 V AKST GAMT GIT HADT HNY|-8 U AKDT CIST HAY HNP PST PT
|-7 T HAP HNR MST PDT|-6 S CST EAST GALT HAR HNC MDT|-5 R CDT COT EASST ECT EST ET HAC HNE PET
|-4 Q AST BOT CLT COST EDT FKT GYT HAE HNA PYT|-3 P ADT ART BRT CLST FKST GFT HAA PMST PYST SRT UYT WGT
|-2 O BRST FNT PMDT UYST WGST|-1 N AZOT CVT EGT|0 Z EGST GMT UTC WET WT|1 A CET DFT WAT WEDT WEST
|2 B CAT CEDT CEST EET SAST WAST|3 C EAT EEDT EEST IDT MSK|4 D AMT AZT GET GST KUYT MSD MUT RET SAMT SCT
|5 E AMST AQTT AZST HMT MAWT MVT PKT TFT TJT TMT UZT YEKT|6 F ALMT BIOT BTT IOT KGT NOVT OMST YEKST
|7 G CXT DAVT HOVT ICT KRAT NOVST OMSST THA WIB|8 H ACT AWST BDT BNT CAST HKT IRKT KRAST MYT PHT SGT ULAT WITA WST
|9 I AWDT IRKST JST KST PWT TLT WDT WIT YAKT|10 K AEST ChST PGT VLAT YAKST YAPT|11 L AEDT LHDT MAGT NCT PONT SBT VLAST VUT
|12 M ANAST ANAT FJT GILT MAGST MHT NZST PETST PETT TVT WFT|13 FJST NZDT|11.5 NFT|10.5 ACDT LHST|9.5 ACST|6.5 CCT MMT
|5.75 NPT|5.5 SLT|4.5 AFT IRDT|3.5 IRST|-2.5 HAT NDT|-3.5 HNT NST NT|-4.5 HLV VET`;

const ZONE_OFFSETS: ReadonlyMap<string, number> = new Map(
  ZONES.split('|').flatMap((row) => {
    const [hours, ...names] = row.trim().split(/\s+/);
    return names.map((n) => [n, Number(hours) * 60] as [string, number]);
  }),
);

/** Minutes east of UTC for fail2ban's zone spellings (`Z`, `UTC`, `+0200`, `CEST`, `CET+0100`); undefined if unknown. */
function zoneOffset(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'UTC' || zone === 'GMT') return 0;
  const m = /^([A-Z](?:[A-Za-z]{2,4})?)?([+-][01]\d(?::?\d{2})?)?$/.exec(zone);
  if (!m) return undefined;
  const base = m[1] === undefined ? 0 : ZONE_OFFSETS.get(m[1]);
  if (base === undefined) return undefined;
  const o = m[2];
  if (o === undefined) return base;
  const sign = o[0] === '-' ? -1 : 1;
  if (o.length <= 3) return base + Number(o) * 60;
  const mins = o[3] === ':' ? o.slice(4, 6) : o.slice(3, 5);
  return base + sign * (Number(o.slice(1, 3)) * 60 + Number(mins));
}

/** The time (ms) of a template match's named groups, as fail2ban computes it; NaN when the fields make no date. */
export function timeOfGroups(g: Readonly<Record<string, string | undefined>>, now: number): number {
  let year: number | undefined;
  if (g.y !== undefined) year = 2000 + Number(g.y);
  if (g.Y !== undefined) year = Number(g.Y);
  let month: number | undefined = g.m !== undefined ? Number(g.m) - 1 : undefined;
  if (g.b !== undefined) month = MONTHS.indexOf(g.b.toLowerCase());
  if (g.B !== undefined) month = MONTHS.indexOf(g.B.slice(0, 3).toLowerCase());
  let day: number | undefined = g.d !== undefined ? Number(g.d) : undefined;
  let hour = g.H !== undefined ? Number(g.H) : 0;
  if (g.I !== undefined) {
    hour = Number(g.I);
    const pm = (g.p ?? '').toLowerCase() === 'pm';
    if (!pm && hour === 12) hour = 0;
    else if (pm && hour !== 12) hour += 12;
  }
  const minute = g.M !== undefined ? Number(g.M) : 0;
  const second = g.S !== undefined ? Number(g.S) : 0;
  const zone = g.z ?? g.Z;
  const offset = zone === undefined ? undefined : zoneOffset(zone);
  if (zone !== undefined && offset === undefined) return Number.NaN;
  const today = new Date(now);
  const assumeYear = year === undefined;
  year ??= today.getFullYear();
  const assumeToday = month === undefined && day === undefined;
  if (assumeToday) {
    month = today.getMonth();
    day = today.getDate();
  }
  if (month === undefined || day === undefined || month < 0) return Number.NaN;
  const at = (y: number, d: number): number =>
    offset === undefined ? Date.UTC(y, month!, d, hour, minute, second) - localOffset(y, month!, d, hour) : Date.UTC(y, month!, d, hour, minute, second) - offset * 60_000;
  let t = at(year, day);
  if (assumeToday && t > now) t = at(year, day - 1);
  if (assumeYear && t > now + 86_400_000) t = at(year - 1, day);
  return t;
}

/** Local time's offset from UTC (ms) at an hour, remembered: the zone lookup is the slow part of a date. */
const offsets = new Map<number, number>();
function localOffset(y: number, m: number, d: number, h: number): number {
  const key = ((y * 16 + m) * 32 + d) * 32 + h;
  let o = offsets.get(key);
  if (o === undefined) {
    if (offsets.size >= 4096) offsets.clear();
    o = Date.UTC(y, m, d, h) - new Date(y, m, d, h).getTime();
    offsets.set(key, o);
  }
  return o;
}
