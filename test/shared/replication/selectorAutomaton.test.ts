import { describe, expect, it } from 'vitest';
import {
  compileSelectorAutomaton,
  MAX_SELECTOR_STATES,
  SelectorSyntaxError,
} from '../../../shared/replication/selectorAutomaton.js';

/** The inputs on which the automaton and V8's RegExp (anchored) disagree: none, for the subset. */
const disagreements = (pattern: string, inputs: readonly string[]): string[] => {
  const automaton = compileSelectorAutomaton(pattern);
  const reference = new RegExp(`^(?:${pattern})$`);
  return inputs
    .filter((input) => automaton.matches(input) !== reference.test(input))
    .map((input) => `${pattern} on ${JSON.stringify(input)}`);
};

/** A small deterministic generator (mulberry32), so a failure names a reproducible case. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const ATOMS = ['a', 'b', '1', '/', '.', '[ab]', '[^a]', '[a-c1]', '\\d', '\\w', '\\W', '\\.', '-', '_'];
const QUANTIFIERS = ['', '', '', '*', '+', '?', '{2}', '{0,2}', '{1,}', '*?', '{1,3}?'];

const generate = (next: () => number, depth: number): string => {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const length = 1 + Math.floor(next() * 3);
  let pattern = '';
  for (let index = 0; index < length; index += 1) {
    const roll = next();
    const atom =
      depth > 0 && roll < 0.25
        ? `(${pick(['', '?:'])}${generate(next, depth - 1)}${next() < 0.4 ? `|${generate(next, depth - 1)}` : ''})`
        : roll < 0.3
          ? pick(['^', '$', '\\b', '\\B'])
          : pick(ATOMS);
    const assertion = ['^', '$', '\\b', '\\B'].includes(atom);
    pattern += assertion ? atom : `${atom}${pick(QUANTIFIERS)}`;
  }
  return pattern;
};

const inputsFor = (next: () => number): string[] => {
  const alphabet = ['a', 'b', 'c', '1', '/', '.', '-', '_', ' ', '\n'];
  const inputs = [''];
  for (let count = 0; count < 40; count += 1) {
    const length = Math.floor(next() * 7);
    inputs.push(Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''));
  }
  return inputs;
};

describe('Function: compileSelectorAutomaton', () => {
  it('agrees with RegExp on 2,000 generated patterns of the supported subset', () => {
    const next = random(20);
    let compared = 0;
    const found: string[] = [];
    for (let count = 0; count < 2000; count += 1) {
      const pattern = generate(next, 2);
      try {
        new RegExp(pattern);
      } catch {
        continue;
      }
      found.push(...disagreements(pattern, inputsFor(next)));
      compared += 1;
    }
    expect(found).toEqual([]);
    expect(compared).toBeGreaterThan(1500);
  });

  it.each([
    ['[a-zA-Z]+/[0-9]+', ['Patient/123', 'Patient/12a', 'xPatient/1', 'Patient/', '/1']],
    ['(Patient|Observation)/\\d{1,3}', ['Patient/1', 'Observation/123', 'Observation/1234', 'Group/1']],
    ['(?<type>[A-Z]\\w*)/(?:[0-9a-f]{2}-)+.*', ['Patient/ab-cd-x', 'Patient/ab', 'Patient/zz-1']],
    ['[\\d\\-.]+', ['12-3.4', '12_3', '']],
    ['[^/]+/[^]*|x', ['Patient/', 'Patient', 'x', 'a/b/c']],
    ['a\\b-\\Bb', ['a-b', 'a-', 'ab']],
    ['\\x41\\u0042\\t\\0\\/\\\\', ['AB\t\u0000/\\', 'AB']],
    ['a{,2}b{', ['a{,2}b{', 'ab']],
    ['[\\b]\\s\\S\\D\\W', ['\b \u00a0a!', '\b  a!']],
    ['^a$|^$', ['a', '', 'aa']],
    ['(a|)+b', ['b', 'aab', 'ba']],
    ['((a*)*)*c', ['aaac', 'aaa']],
  ])('matches the whole input as RegExp does: %s', (pattern, inputs) => {
    expect(disagreements(pattern, inputs)).toEqual([]);
  });

  it.each([
    ['a(?=b)', /look-around/],
    ['a(?!b)', /look-around/],
    ['(?<=a)b', /look-around/],
    ['(?<!a)b', /look-around/],
    ['(?i:a)', /inline flags/],
    ['(x)\\1', /back-references/],
    ['(?<n>x)\\k<n>', /back-references/],
    ['\\p{L}', /escape \\p is not supported/],
    ['\\cJ', /escape \\c is not supported/],
    ['\\01', /escape \\0 is not supported/],
    ['[\\w-z]', /class range/],
    ['[a\\B]', /\\B is not supported in a class/],
    ['a{20000}', /repetition count/],
    ['(?:){1000000000}', /repetition count/],
    ['(?:.{0,100}){200}', /automaton states/],
  ])('refuses %s, naming why', (pattern, reason) => {
    new RegExp(pattern); // valid JavaScript: the automaton's own subset refuses it
    expect(() => compileSelectorAutomaton(pattern)).toThrow(SelectorSyntaxError);
    expect(() => compileSelectorAutomaton(pattern)).toThrow(reason);
  });

  it('runs the patterns that froze the connector in one pass over the input', () => {
    const bounded7 = compileSelectorAutomaton('.{0,64}'.repeat(7));
    const bounded8 = compileSelectorAutomaton('.{0,64}'.repeat(8));
    const stars = compileSelectorAutomaton('.*.*.*!');
    const nested = compileSelectorAutomaton('(a+)+b');
    const id = `Patient/${'a'.repeat(64)}`;
    expect(bounded7.matches(id)).toBe(true);
    expect(bounded8.matches(`${id}!`)).toBe(true);
    expect(stars.matches(id)).toBe(false);
    expect(stars.matches(`${id}!`)).toBe(true);
    expect(nested.matches('a'.repeat(128))).toBe(false);
    expect(bounded8.size).toBeLessThan(MAX_SELECTOR_STATES);
  });
});
