import { describe, expect, it } from 'vitest';
import {
  checkIdSelector,
  compileIdSelector,
  MAX_SELECTOR_INPUT_LENGTH,
} from '../../../shared/replication/checkIdSelector.js';

describe('Function: checkIdSelector', () => {
  it.each([
    '[a-zA-Z]+/[0-9]+',
    'Patient/.*',
    '(Patient|Observation)/[0-9]+',
    '(?:Patient|Encounter)/\\d{1,10}',
    '[A-Za-z]+/[0-9a-f]{8}-.*',
    '(ab)+/1',
    // Refused while selectors ran on a backtracking engine; linear on the automaton.
    '(a+)+',
    '(?:[0-9]*)*/x',
    '((a|b)c)*',
    '(a|aa)+/1',
    'a+b+c+d+',
    '.{0,64}'.repeat(7),
    '.{0,64}'.repeat(8),
    '.*.*.*!',
  ])('accepts %s', (pattern) => {
    expect(checkIdSelector(pattern)).toBeUndefined();
  });

  it.each([
    ['(x)\\1', /back-references/],
    ['(?<n>x)\\k<n>', /back-references/],
    ['a(?=b)', /look-around/],
    ['(unclosed', /not a valid regular expression/],
    ['', /empty/],
    ['a'.repeat(257), /longer than 256/],
    ['(?:.{0,100}){200}', /automaton states/],
  ])('refuses %s', (pattern, reason) => {
    expect(checkIdSelector(pattern)).toMatch(reason);
  });

  it('never quotes the pattern in its reason', () => {
    expect(checkIdSelector('(SECRET)\\1')).not.toContain('SECRET');
  });
});

describe('Function: compileIdSelector', () => {
  it('compiles to a full match over Type/id', () => {
    const selector = compileIdSelector('[a-zA-Z]+/[0-9]+');
    expect(selector.test('Patient/123')).toBe(true);
    expect(selector.test('xPatient/123x')).toBe(false);
    expect(compileIdSelector('Patient/1|Observation/2').test('Observation/2')).toBe(true);
    expect(compileIdSelector('Patient/1|Observation/2').test('Observation/2x')).toBe(false);
  });

  it('refuses a pattern checkIdSelector refuses, and an input longer than Type/id can be', () => {
    expect(() => compileIdSelector('(x)\\1')).toThrow(/back-references/);
    const selector = compileIdSelector('.*');
    expect(selector.test('x'.repeat(MAX_SELECTOR_INPUT_LENGTH))).toBe(true);
    expect(() => selector.test('x'.repeat(MAX_SELECTOR_INPUT_LENGTH + 1))).toThrow(RangeError);
  });
});
