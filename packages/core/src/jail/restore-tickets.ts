import type { BanTicket } from '../contract/ban-ticket.js';

/**
 * The array index a property key names (`0`, `1`… without leading zeros), or -1: `length` and methods go
 * to `Array.prototype`, which reads elements back through the proxy. Read digit by digit, not with a
 * regular expression and `Number`: a restore batch of a million is read this way once per action.
 */
function arrayIndex(key: string | symbol): number {
  if (typeof key !== 'string') return -1;
  const n = key.length;
  if (n === 0 || n > 15 || (n > 1 && key.charCodeAt(0) === 48)) return -1;
  let i = 0;
  for (let k = 0; k < n; k++) {
    const d = key.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    i = i * 10 + d;
  }
  return i;
}

/**
 * A read-only array of `length` tickets, the `i`th built by `at(i)` when it is read: what a restart hands its actions
 * as one batch. A million tickets held at once were ~140 MB of the daemon's peak; built on demand they
 * die young, and an action that reads them once (an nft script, a file) never holds them all. Every
 * array reader works on it: index, `length`, `for…of`, `map`/`forEach`/`filter`, spread, `JSON.stringify`,
 * `Array.isArray`. Reading the same index twice gives two equal tickets, not the same object.
 */
export function restoreTickets(length: number, at: (i: number) => BanTicket): readonly BanTicket[] {
  const index = (key: string | symbol): number => {
    const i = arrayIndex(key);
    return i < length ? i : -1;
  };
  return new Proxy<BanTicket[]>([], {
    get(target, key, receiver) {
      if (key === 'length') return length;
      const i = index(key);
      return i >= 0 ? at(i) : Reflect.get(target, key, receiver);
    },
    has(target, key) {
      return key === 'length' || index(key) >= 0 || Reflect.has(target, key);
    },
    ownKeys() {
      const keys: string[] = [];
      for (let i = 0; i < length; i++) keys.push(String(i));
      keys.push('length');
      return keys;
    },
    getOwnPropertyDescriptor(_target, key) {
      if (key === 'length') return { value: length, writable: true, enumerable: false, configurable: false };
      const i = index(key);
      return i >= 0 ? { value: at(i), writable: false, enumerable: true, configurable: true } : undefined;
    },
    set() {
      return false;
    },
    defineProperty() {
      return false;
    },
    deleteProperty() {
      return false;
    },
  });
}
