import type { BanTicket } from '../contract/ban-ticket.js';

/** An array index as a property key: `length` and methods go to `Array.prototype`, which reads elements back through the proxy. */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

/**
 * A read-only array of `length` tickets, the `i`th built by `at(i)` when it is read: what a restart hands its actions
 * as one batch. A million tickets held at once were ~140 MB of the daemon's peak; built on demand they
 * die young, and an action that reads them once (an nft script, a file) never holds them all. Every
 * array reader works on it: index, `length`, `for…of`, `map`/`forEach`/`filter`, spread, `JSON.stringify`,
 * `Array.isArray`. Reading the same index twice gives two equal tickets, not the same object.
 */
export function restoreTickets(length: number, at: (i: number) => BanTicket): readonly BanTicket[] {
  const index = (key: string | symbol): number => {
    if (typeof key !== 'string' || !INDEX_KEY.test(key)) return -1;
    const i = Number(key);
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
