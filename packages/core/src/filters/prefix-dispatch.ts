import type { CompiledRule } from './compiled-rule.js';

interface Edge {
  /** Text of the edge; its first character is the key it is stored under. */
  readonly label: string;
  readonly node: PrefixNode;
}

interface PrefixNode {
  kids: Map<number, Edge> | undefined;
  /**
   * The kids again, indexed by first character for codes below {@link TABLE_SIZE} (prefixes are ASCII text
   * in practice): a per-line lookup that is an array read, not a hash of the key.
   */
  table: (Edge | undefined)[] | undefined;
  /** Rules a message reaching this node may match, in rule order: prefix ends on the way here, or no prefix. */
  candidates: CompiledRule[];
  /** Rules whose prefix ends exactly here. */
  readonly ending: CompiledRule[];
}

/**
 * Finds the rules whose literal prefix ({@link CompiledRule.prefixes}) a message starts with, by one walk
 * down a compressed trie of all prefixes: one pass over the message's first characters instead of a
 * `startsWith` per rule and prefix. Rules without prefixes are candidates for every message.
 */
export class PrefixDispatch {
  private readonly root: PrefixNode;

  constructor(rules: readonly CompiledRule[]) {
    this.root = { kids: undefined, table: undefined, candidates: [], ending: [] };
    for (const rule of rules) {
      if (rule.prefixes === undefined) this.root.ending.push(rule);
      else for (const prefix of rule.prefixes) insert(this.root, prefix, rule);
    }
    settle(this.root, []);
  }

  /** The candidate rules for `message`, in rule order; the returned array is shared: do not change it. */
  candidates(message: string): readonly CompiledRule[] {
    let node = this.root;
    let at = 0;
    for (;;) {
      const table = node.table;
      if (table === undefined) return node.candidates;
      const c = message.charCodeAt(at);
      // (NaN past the end of the message reads no entry.)
      const edge = c < TABLE_SIZE ? table[c] : node.kids!.get(c);
      if (edge === undefined) return node.candidates;
      const label = edge.label;
      const n = label.length;
      if (at + n > message.length) return node.candidates;
      for (let k = 1; k < n; k++) if (message.charCodeAt(at + k) !== label.charCodeAt(k)) return node.candidates;
      at += n;
      node = edge.node;
    }
  }
}

/** Character codes looked up in an array rather than the kids map. */
const TABLE_SIZE = 128;

function insert(root: PrefixNode, prefix: string, rule: CompiledRule): void {
  let node = root;
  let rest = prefix;
  while (rest.length > 0) {
    node.kids ??= new Map();
    const key = rest.charCodeAt(0);
    const edge = node.kids.get(key);
    if (edge === undefined) {
      const leaf: PrefixNode = { kids: undefined, table: undefined, candidates: [], ending: [] };
      node.kids.set(key, { label: rest, node: leaf });
      node = leaf;
      rest = '';
      break;
    }
    let common = 1;
    while (common < edge.label.length && common < rest.length && edge.label.charCodeAt(common) === rest.charCodeAt(common)) common++;
    if (common < edge.label.length) {
      // Split the edge where the new prefix leaves it.
      const middle: PrefixNode = { kids: new Map(), table: undefined, candidates: [], ending: [] };
      middle.kids!.set(edge.label.charCodeAt(common), { label: edge.label.slice(common), node: edge.node });
      node.kids.set(key, { label: edge.label.slice(0, common), node: middle });
      node = middle;
    } else {
      node = edge.node;
    }
    rest = rest.slice(common);
  }
  if (!node.ending.includes(rule)) node.ending.push(rule);
}

/** Fills every node's candidates: its ancestors' endings and its own, in rule order. */
function settle(node: PrefixNode, inherited: readonly CompiledRule[]): void {
  node.candidates = [...new Set([...inherited, ...node.ending])].sort((a, b) => a.index - b.index);
  if (node.kids) {
    node.table = Array.from({ length: TABLE_SIZE }, (_, c) => node.kids!.get(c));
    for (const edge of node.kids.values()) settle(edge.node, node.candidates);
  }
}
