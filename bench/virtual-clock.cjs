// Loaded with `node --require` into a daemon that replays a log (bench/botnet.mjs): the daemon's clock is
// the log's. `Date.now()` returns the time the bench last sent over the IPC channel (`{ now }`, ms), and
// timers of a second or more (housekeeping every 30 s, unbans, the hourly purge) run on that clock: they
// fire when the bench moves it past their time, so a day of log replays in a minute with every expiry in
// its place. Shorter timers (the action runner's coalescing, file polling) stay real. Each `{ now }` is
// answered with `{ at: now }` once the due timers ran.
'use strict';
const real = { setTimeout, setInterval, clearTimeout, clearInterval };
let now = Number(process.env.BENCH_CLOCK_START ?? 0);
Date.now = () => now;

/** Virtual timers, unordered: there are a handful (one per jail and schedule, a few intervals). */
const timers = new Set();

class VirtualTimer {
  constructor(fn, delay, args, repeat) {
    this.fn = fn;
    this.delay = delay;
    this.args = args;
    this.repeat = repeat;
    this.at = now + delay;
    timers.add(this);
  }
  unref() {
    return this;
  }
  ref() {
    return this;
  }
  hasRef() {
    return false;
  }
  refresh() {
    this.at = now + this.delay;
    timers.add(this);
    return this;
  }
  close() {
    timers.delete(this);
    return this;
  }
  [Symbol.toPrimitive]() {
    return 0;
  }
}

const LONG = 1000;
globalThis.setTimeout = (fn, delay = 0, ...args) => (delay >= LONG ? new VirtualTimer(fn, delay, args, false) : real.setTimeout(fn, delay, ...args));
globalThis.setInterval = (fn, delay = 0, ...args) => (delay >= LONG ? new VirtualTimer(fn, delay, args, true) : real.setInterval(fn, delay, ...args));
globalThis.clearTimeout = (t) => (t instanceof VirtualTimer ? t.close() : real.clearTimeout(t));
globalThis.clearInterval = (t) => (t instanceof VirtualTimer ? t.close() : real.clearInterval(t));

/** Run every timer due at `now`, earliest first; a timer set by a callback runs too when it is due. */
function runDue() {
  for (let guard = 0; guard < 100_000; guard++) {
    let next;
    for (const t of timers) if (t.at <= now && (next === undefined || t.at < next.at)) next = t;
    if (next === undefined) return;
    if (next.repeat) next.at = Math.max(next.at + next.delay, now);
    else timers.delete(next);
    next.fn(...next.args);
  }
}

process.on('message', (m) => {
  if (!m || typeof m.now !== 'number') return;
  now = Math.max(now, m.now);
  runDue();
  process.send?.({ at: now });
});
// The IPC channel must not keep a stopped daemon alive.
process.channel?.unref();
