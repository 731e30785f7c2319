/**
 * `npm run bench -- idSelector [--compare]`
 *
 * Cost of Smile's `replicate-id-prefix-selector` on the automaton the deliverer runs it on
 * (shared/replication/selectorAutomaton.ts), for the patterns issue 20 found freezing the connector
 * on a backtracking engine and for a typical one: compile time, automaton size, and the mean time of
 * one full match of a 129-character `Type/id` (the longest a selector is ever run on), matching and
 * not matching. `--compare` also times V8's RegExp once on the first pattern with a 42-character
 * input (it takes seconds; the deliverer never runs it).
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { compileIdSelector, MAX_SELECTOR_INPUT_LENGTH } from '../shared/replication/checkIdSelector.js';
import { compileSelectorAutomaton } from '../shared/replication/selectorAutomaton.js';

const { values: args } = parseArgs({ options: { compare: { type: 'boolean', default: false } } });

const PATTERNS: readonly [string, string][] = [
  ['.{0,64} x7 then !', `${'.{0,64}'.repeat(7)}!`],
  ['.{0,64} x8 then !', `${'.{0,64}'.repeat(8)}!`],
  ['.*.*.*!', '.*.*.*!'],
  ['(a|aa)+b', '(a|aa)+b'],
  ['.{0,999}! (near the budget)', '.{0,999}!'],
  ['[a-zA-Z]+/[0-9]+ (typical)', '[a-zA-Z]+/[0-9]+'],
];
const TYPE = 'Observation';
const MISS = `${TYPE}/${'a'.repeat(MAX_SELECTOR_INPUT_LENGTH - TYPE.length - 1)}`;
const HIT = `${TYPE}/${'1'.repeat(MAX_SELECTOR_INPUT_LENGTH - TYPE.length - 2)}!`;
const ROUNDS = 2000;

const microseconds = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
console.log(
  `load average ${loadavg()
    .map((load) => load.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores`,
);

console.log(`input: ${MAX_SELECTOR_INPUT_LENGTH} characters; ${ROUNDS} matches per input after a warm-up`);
for (const [name, pattern] of PATTERNS) {
  const compileStart = performance.now();
  const selector = compileIdSelector(pattern);
  const compileMs = performance.now() - compileStart;
  const size = compileSelectorAutomaton(pattern).size;
  const results: string[] = [];
  for (const input of [MISS, HIT]) {
    for (let round = 0; round < 50; round += 1) selector.test(input);
    const start = performance.now();
    let matched = false;
    for (let round = 0; round < ROUNDS; round += 1) matched = selector.test(input);
    results.push(`${microseconds((performance.now() - start) / ROUNDS)} (${matched ? 'match' : 'no match'})`);
  }
  console.log(
    `${name.padEnd(28)} states ${String(size).padStart(5)}  compile ${compileMs.toFixed(2)} ms  per match ${results.join(', ')}`,
  );
}

if (args.compare) {
  const [name, pattern] = PATTERNS[0] as [string, string];
  const regexp = new RegExp(`^(?:${pattern})$`);
  const input = `${TYPE}/${'a'.repeat(30)}`;
  const start = performance.now();
  const matched = regexp.test(input);
  console.log(
    `V8 RegExp, ${name}, ${input.length} characters: ${(performance.now() - start).toFixed(0)} ms (${matched ? 'match' : 'no match'})`,
  );
}
