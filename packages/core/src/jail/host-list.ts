import { ipv4Key, ipv4Number } from './host-key.js';

/** Room the list starts with. */
const MIN_ENTRIES = 64;

/**
 * A list of host keys in the order they were pushed, each with a number beside it, in typed arrays: an IPv4
 * address costs its 32-bit value and the number 4 bytes more, where an array of strings costs ~50 bytes
 * an address (the pointer and the string). A restore batch is one: the million addresses a restart puts
 * back stay listed until every action has applied them, and their strings were most of the restart's peak.
 * Other keys (IPv6, prefixes) are kept as strings beside, in an array made with the first of them. Keys
 * come back as strings, built when read.
 */
export class HostList implements Iterable<string> {
  /** IPv4 keys' values (0 for a string key). */
  private numbers = new Uint32Array(MIN_ENTRIES);
  private values = new Int32Array(MIN_ENTRIES);
  /** Each entry's key when it is not IPv4 (undefined for IPv4); as long as the list, once made. */
  private names: (string | undefined)[] | undefined;
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Append `key`, with `value` (an int32) beside it. */
  push(key: string, value = 0): void {
    const i = this.count++;
    if (i === this.numbers.length) this.grow();
    const number = ipv4Number(key);
    this.numbers[i] = Math.max(number, 0);
    this.values[i] = value;
    if (number < 0 && this.names === undefined) this.names = new Array<undefined>(i).fill(undefined);
    // Appended in order, so the array stays packed.
    this.names?.push(number >= 0 ? undefined : key);
  }

  /** The `i`th key (`0 <= i < length`). */
  at(i: number): string {
    return this.names?.[i] ?? ipv4Key(this.numbers[i]!);
  }

  /** The number pushed with the `i`th key. */
  valueAt(i: number): number {
    return this.values[i]!;
  }

  *[Symbol.iterator](): Iterator<string> {
    for (let i = 0; i < this.count; i++) yield this.at(i);
  }

  private grow(): void {
    const numbers = new Uint32Array(this.numbers.length * 2);
    const values = new Int32Array(this.values.length * 2);
    numbers.set(this.numbers);
    values.set(this.values);
    this.numbers = numbers;
    this.values = values;
  }
}
