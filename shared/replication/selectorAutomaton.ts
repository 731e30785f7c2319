/**
 * Smile's `replicate-id-prefix-selector` compiled to a Thompson automaton that is simulated state set
 * by state set (no backtracking): matching `Type/id` takes time proportional to the automaton's size
 * times the input's length, whatever the pattern. The pattern language is the JavaScript (and Java)
 * regular expression subset a selector needs: literals and escaped metacharacters, `.`, classes
 * (`[a-z0-9-]`, `[^/]`, `\d \w \s \D \W \S`), groups (`( )`, `(?: )`, `(?<name> )`), `|`, the
 * quantifiers `* + ? {n} {n,} {n,m}` (greedy or lazy: a full match does not care) and the assertions
 * `^ $ \b \B`. Look-arounds, back-references, `\p{...}`, `\c`, octal escapes and inline flags are
 * refused with the reason, never the pattern.
 */

/**
 * Most automaton states a selector may compile to (`x{n,m}` repeats x's states m times): matching costs
 * at most this many steps per input character. Real selectors need a few dozen; `.{0,64}` eight times
 * needs 1,026.
 */
export const MAX_SELECTOR_STATES = 2_000;

/** Why a pattern cannot be compiled; the message never quotes the pattern. */
export class SelectorSyntaxError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SelectorSyntaxError';
  }
}

/** A set of UTF-16 code units: sorted, disjoint, inclusive ranges. */
type Ranges = readonly (readonly [number, number])[];

type Node =
  | { readonly kind: 'set'; readonly ranges: Ranges }
  | { readonly kind: 'assert'; readonly what: 'start' | 'end' | 'boundary' | 'not-boundary' }
  | { readonly kind: 'seq'; readonly items: readonly Node[] }
  | { readonly kind: 'alt'; readonly options: readonly Node[] }
  | { readonly kind: 'repeat'; readonly item: Node; readonly min: number; readonly max: number };

const MAX_UNIT = 0xffff;
const DIGIT: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
/** ECMAScript WhiteSpace and LineTerminator, as `\s` matches them. */
const SPACE: Ranges = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const LINE_TERMINATORS: Ranges = [
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
];

const normalise = (ranges: Iterable<readonly [number, number]>): Ranges => {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [low, high] of sorted) {
    const last = merged[merged.length - 1];
    if (last && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else merged.push([low, high]);
  }
  return merged;
};

const complement = (ranges: Ranges): Ranges => {
  const result: [number, number][] = [];
  let next = 0;
  for (const [low, high] of normalise(ranges)) {
    if (low > next) result.push([next, low - 1]);
    next = high + 1;
  }
  if (next <= MAX_UNIT) result.push([next, MAX_UNIT]);
  return result;
};

const single = (unit: number): Ranges => [[unit, unit]];

const CLASS_ESCAPES: Readonly<Record<string, Ranges>> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
};
const CONTROL_ESCAPES: Readonly<Record<string, number>> = { t: 0x09, n: 0x0a, v: 0x0b, f: 0x0c, r: 0x0d };

/** Recursive descent over the pattern (already known to compile as a JavaScript RegExp). */
class Parser {
  private index = 0;

  public constructor(private readonly pattern: string) {}

  public parse(): Node {
    const node = this.disjunction();
    if (this.index < this.pattern.length) throw new SelectorSyntaxError('unbalanced parenthesis');
    return node;
  }

  private peek(offset = 0): string | undefined {
    return this.pattern[this.index + offset];
  }

  private disjunction(): Node {
    const options = [this.alternative()];
    while (this.peek() === '|') {
      this.index += 1;
      options.push(this.alternative());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options };
  }

  private alternative(): Node {
    const items: Node[] = [];
    while (this.index < this.pattern.length && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.term());
    }
    return items.length === 1 ? (items[0] as Node) : { kind: 'seq', items };
  }

  private term(): Node {
    const char = this.peek() as string;
    if (char === '^' || char === '$') {
      this.index += 1;
      return { kind: 'assert', what: char === '^' ? 'start' : 'end' };
    }
    if (char === '\\' && (this.peek(1) === 'b' || this.peek(1) === 'B')) {
      this.index += 2;
      return { kind: 'assert', what: this.pattern[this.index - 1] === 'b' ? 'boundary' : 'not-boundary' };
    }
    return this.quantified(this.atom());
  }

  private quantified(item: Node): Node {
    const bounds = this.quantifier();
    if (!bounds) return item;
    if (this.peek() === '?') this.index += 1; // lazy: the same language
    return { kind: 'repeat', item, min: bounds[0], max: bounds[1] };
  }

  /** `[min, max]` (max Infinity when unbounded), or undefined when no quantifier follows. */
  private quantifier(): [number, number] | undefined {
    const char = this.peek();
    if (char === '*' || char === '+' || char === '?') {
      this.index += 1;
      return char === '*' ? [0, Infinity] : char === '+' ? [1, Infinity] : [0, 1];
    }
    if (char !== '{') return undefined;
    const bounds = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(this.index));
    if (!bounds) return undefined; // a literal '{' (web-compatible syntax)
    this.index += bounds[0].length;
    const min = Number(bounds[1]);
    const max = bounds[2] === undefined ? min : bounds[3] === '' ? Infinity : Number(bounds[3]);
    return [min, max];
  }

  private atom(): Node {
    const char = this.peek() as string;
    this.index += 1;
    if (char === '.') return { kind: 'set', ranges: complement(LINE_TERMINATORS) };
    if (char === '[') return { kind: 'set', ranges: this.characterClass() };
    if (char === '(') return this.group();
    if (char === '\\') return { kind: 'set', ranges: this.escape(false) };
    return { kind: 'set', ranges: single(char.charCodeAt(0)) };
  }

  private group(): Node {
    if (this.peek() === '?') {
      const head = /^\?(:|<[A-Za-z_$][\w$]*>)/.exec(this.pattern.slice(this.index));
      if (!head) throw new SelectorSyntaxError('look-around assertions and inline flags are not supported');
      this.index += head[0].length;
    }
    const inner = this.disjunction();
    this.index += 1; // ')' (the pattern compiled as a RegExp, so it is there)
    return inner;
  }

  /** The code units one escape stands for; `\b` inside a class is a backspace. */
  private escape(inClass: boolean): Ranges {
    const char = this.peek();
    if (char === undefined) throw new SelectorSyntaxError('the pattern ends with a backslash');
    this.index += 1;
    const classEscape = CLASS_ESCAPES[char];
    if (classEscape) return classEscape;
    const control = CONTROL_ESCAPES[char];
    if (control !== undefined) return single(control);
    if (inClass && char === 'b') return single(0x08);
    if (char === '0' && !/[0-9]/.test(this.peek() ?? '')) return single(0);
    if (char === 'x' || char === 'u') {
      const digits = char === 'x' ? 2 : 4;
      const hex = this.pattern.slice(this.index, this.index + digits);
      if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(hex)) {
        throw new SelectorSyntaxError(`\\${char} must be followed by ${digits} hexadecimal digits`);
      }
      this.index += digits;
      return single(Number.parseInt(hex, 16));
    }
    if (/[1-9]/.test(char) || char === 'k') throw new SelectorSyntaxError('back-references are not allowed');
    if (/[A-Za-z0-9]/.test(char)) throw new SelectorSyntaxError(`the escape \\${char} is not supported`);
    return single(char.charCodeAt(0));
  }

  private characterClass(): Ranges {
    const negated = this.peek() === '^';
    if (negated) this.index += 1;
    const ranges: (readonly [number, number])[] = [];
    while (this.peek() !== ']') {
      if (this.peek() === undefined) throw new SelectorSyntaxError('unterminated character class');
      const low = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.index += 1;
        const high = this.classAtom();
        if (
          low.length !== 1 ||
          high.length !== 1 ||
          low[0]?.[0] !== low[0]?.[1] ||
          high[0]?.[0] !== high[0]?.[1]
        ) {
          throw new SelectorSyntaxError('a class range must join two characters');
        }
        ranges.push([low[0]?.[0] as number, high[0]?.[0] as number]);
      } else {
        ranges.push(...low);
      }
    }
    this.index += 1; // ']'
    const set = normalise(ranges);
    return negated ? complement(set) : set;
  }

  private classAtom(): Ranges {
    const char = this.peek() as string;
    this.index += 1;
    if (char !== '\\') return single(char.charCodeAt(0));
    if (this.peek() === 'B') throw new SelectorSyntaxError('the escape \\B is not supported in a class');
    return this.escape(true);
  }
}

/** One automaton state: consume a code unit of `ranges`, test an assertion, or fork. */
type State =
  | { kind: 'set'; ranges: Ranges; next: number }
  | { kind: 'assert'; what: 'start' | 'end' | 'boundary' | 'not-boundary'; next: number }
  | { kind: 'split'; next: number; other: number }
  | { kind: 'match' };

/** Builds states back to front: `compile(node, next)` returns the state that starts `node`, then `next`. */
class Builder {
  public readonly states: State[] = [{ kind: 'match' }];

  public add(state: State): number {
    if (this.states.length >= MAX_SELECTOR_STATES) {
      throw new SelectorSyntaxError(
        `the pattern expands to more than ${MAX_SELECTOR_STATES} automaton states (large {n,m} repetitions)`,
      );
    }
    this.states.push(state);
    return this.states.length - 1;
  }

  public compile(node: Node, next: number): number {
    switch (node.kind) {
      case 'set':
        return this.add({ kind: 'set', ranges: node.ranges, next });
      case 'assert':
        return this.add({ kind: 'assert', what: node.what, next });
      case 'seq':
        return node.items.reduceRight((after, item) => this.compile(item, after), next);
      case 'alt': {
        const starts = node.options.map((option) => this.compile(option, next));
        return starts.reduceRight((other, start) => this.add({ kind: 'split', next: start, other }));
      }
      case 'repeat':
        return this.repeat(node.item, node.min, node.max, next);
    }
  }

  private repeat(item: Node, min: number, max: number, next: number): number {
    // Each copy of a non-empty item adds states; this also bounds copies of an empty group `(){n}`.
    if (min > MAX_SELECTOR_STATES || (max !== Infinity && max > MAX_SELECTOR_STATES)) {
      throw new SelectorSyntaxError(`a repetition count is above ${MAX_SELECTOR_STATES}`);
    }
    let tail = next;
    if (max === Infinity) {
      // A loop: the split either enters another round of `item` (which returns to it) or leaves.
      const loop = this.add({ kind: 'split', next: -1, other: next });
      (this.states[loop] as { next: number }).next = this.compile(item, loop);
      tail = loop;
    } else {
      for (let count = min; count < max; count += 1) {
        tail = this.add({ kind: 'split', next: this.compile(item, tail), other: next });
      }
    }
    for (let count = 0; count < min; count += 1) tail = this.compile(item, tail);
    return tail;
  }
}

const contains = (ranges: Ranges, unit: number): boolean => {
  for (let index = 0; index < ranges.length; index += 1) {
    const range = ranges[index] as readonly [number, number];
    if (unit < range[0]) return false;
    if (unit <= range[1]) return true;
  }
  return false;
};

const isWordUnit = (unit: number): boolean =>
  (unit >= 0x30 && unit <= 0x39) ||
  (unit >= 0x41 && unit <= 0x5a) ||
  unit === 0x5f ||
  (unit >= 0x61 && unit <= 0x7a);

const KIND = { match: 0, set: 1, split: 2, start: 3, end: 4, boundary: 5, notBoundary: 6 } as const;
const ASSERT_KIND = {
  start: KIND.start,
  end: KIND.end,
  boundary: KIND.boundary,
  'not-boundary': KIND.notBoundary,
};
const ASCII = 128;

/** A compiled selector: `matches` says whether the whole input is in the pattern's language. */
export interface SelectorAutomaton {
  /** States the automaton has (its size: matching costs at most this much per input character). */
  readonly size: number;
  matches(input: string): boolean;
}

/**
 * Compiles a selector pattern (which must already compile as a JavaScript RegExp) to an automaton that
 * matches the whole input. Throws `SelectorSyntaxError` for what it does not support.
 *
 * @example
 * compileSelectorAutomaton('[a-zA-Z]+/[0-9]+').matches('Patient/123'); // true
 * compileSelectorAutomaton('.*.*.*!').matches('Patient/' + 'a'.repeat(64)); // false, in microseconds
 */
export const compileSelectorAutomaton = (pattern: string): SelectorAutomaton => {
  const builder = new Builder();
  const start = builder.compile(new Parser(pattern).parse(), 0);
  // Flat typed arrays, and a bitmap of the ASCII units each set state takes (ids are ASCII).
  const states = builder.states;
  const count = states.length;
  const kind = new Uint8Array(count);
  const next = new Int32Array(count);
  const other = new Int32Array(count);
  const ascii = new Uint8Array(count * ASCII);
  const ranges: (Ranges | undefined)[] = new Array<Ranges | undefined>(count);
  states.forEach((state, index) => {
    if (state.kind === 'match') return;
    next[index] = state.next;
    if (state.kind === 'split') {
      kind[index] = KIND.split;
      other[index] = state.other;
    } else if (state.kind === 'assert') {
      kind[index] = ASSERT_KIND[state.what];
    } else {
      kind[index] = KIND.set;
      ranges[index] = state.ranges;
      for (let unit = 0; unit < ASCII; unit += 1)
        ascii[index * ASCII + unit] = contains(state.ranges, unit) ? 1 : 0;
    }
  });
  const seen = new Int32Array(count).fill(-1);
  const stack = new Int32Array(count * 2 + 2);
  let generation = 0;

  /** Adds to `into` every consuming or final state reachable from `from` without input, at `at`. */
  const close = (from: number, input: string, at: number, into: Int32Array, size: number): number => {
    let top = 0;
    stack[top++] = from;
    let added = size;
    while (top > 0) {
      const state = stack[--top] as number;
      if (seen[state] === generation) continue;
      seen[state] = generation;
      const what = kind[state] as number;
      if (what === KIND.split) {
        stack[top++] = other[state] as number;
        stack[top++] = next[state] as number;
      } else if (what === KIND.set || what === KIND.match) {
        into[added++] = state;
      } else {
        let holds: boolean;
        if (what === KIND.start) holds = at === 0;
        else if (what === KIND.end) holds = at === input.length;
        else {
          const before = at > 0 && isWordUnit(input.charCodeAt(at - 1));
          const after = at < input.length && isWordUnit(input.charCodeAt(at));
          holds = (before !== after) === (what === KIND.boundary);
        }
        if (holds) stack[top++] = next[state] as number;
      }
    }
    return added;
  };

  let current = new Int32Array(count);
  let following = new Int32Array(count);
  return {
    size: count,
    matches: (input: string): boolean => {
      generation += 1;
      let size = close(start, input, 0, current, 0);
      for (let at = 0; at < input.length && size > 0; at += 1) {
        const unit = input.charCodeAt(at);
        generation += 1;
        let nextSize = 0;
        for (let index = 0; index < size; index += 1) {
          const state = current[index] as number;
          if (kind[state] !== KIND.set) continue;
          const takes =
            unit < ASCII ? ascii[state * ASCII + unit] === 1 : contains(ranges[state] as Ranges, unit);
          if (takes) nextSize = close(next[state] as number, input, at + 1, following, nextSize);
        }
        [current, following] = [following, current];
        size = nextSize;
      }
      for (let index = 0; index < size; index += 1) if (current[index] === 0) return true;
      return false;
    },
  };
};
