import type { ListSink } from '../control/control-client.js';
import type { ListRenderer } from '../control/control-render.js';

/** A list answer printed as it arrives; `end` once it is complete. */
interface ListPrinter extends ListSink {
  readonly items: number;
  /** True once the head was printed. */
  readonly started: boolean;
  end(): void;
}

/**
 * `--json` of a list answer, a part at a time, byte for byte what `JSON.stringify(result, null, 2)` of the
 * whole result prints: the list is the result itself or its last key.
 */
export class JsonListPrinter implements ListPrinter {
  items = 0;
  started = false;
  private indent = '  ';
  private close = ']';

  constructor(private readonly out: NodeJS.WritableStream) {}

  head(result: unknown, field: string): void {
    this.started = true;
    if (field === '') {
      this.out.write('[');
      return;
    }
    const head = JSON.stringify(result, null, 2);
    const keys = head === '{}' ? '{' : `${head.slice(0, -2)},`;
    this.out.write(`${keys}\n  ${JSON.stringify(field)}: [`);
    this.indent = '    ';
    this.close = ']\n}';
  }

  part(items: readonly unknown[]): void {
    let text = '';
    for (const item of items) {
      text += `${this.items++ === 0 ? '' : ','}\n${this.indent}${pretty(item, this.indent)}`;
    }
    this.out.write(text);
  }

  end(): void {
    this.out.write(this.items === 0 ? `${this.close}\n` : `\n${this.indent.slice(2)}${this.close}\n`);
  }
}

/** The text of a list answer for people, a part at a time (see ListRenderer). */
export class TextListPrinter implements ListPrinter {
  items = 0;
  started = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly render: ListRenderer,
  ) {}

  head(result: unknown): void {
    this.started = true;
    this.write(this.render.head(result));
  }

  part(items: readonly unknown[]): void {
    this.items += items.length;
    this.write(this.render.part(items));
  }

  end(): void {
    this.write(this.render.end(this.items));
  }

  private write(text: string): void {
    if (text) this.out.write(text);
  }
}

/**
 * `JSON.stringify(value, null, 2)` indented by `indent`, with a fast path for flat objects (a ban): V8's
 * stringify with a gap has no fast path, and a million bans took seconds more.
 */
function pretty(value: unknown, indent: string): string {
  const slow = () => JSON.stringify(value, null, 2).replaceAll('\n', `\n${indent}`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return slow();
  const inner = `\n${indent}  `;
  let text = '{';
  let sep = inner;
  // Parsed JSON: own keys only, in order (for…in allocates no entry arrays).
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (v !== null && typeof v === 'object') return slow();
    text += `${sep}${JSON.stringify(key)}: ${typeof v === 'number' && Number.isFinite(v) ? v : JSON.stringify(v)}`;
    sep = `,${inner}`;
  }
  return sep === inner ? '{}' : `${text}\n${indent}}`;
}
