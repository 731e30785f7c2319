import { describe, expect, it } from 'vitest';
import { checkIdSelector, compileIdSelector } from '../../../shared/replication/checkIdSelector.js';

describe('Function: checkIdSelector', () => {
  it.each([
    '[a-zA-Z]+/[0-9]+',
    'Patient/.*',
    '(Patient|Observation)/[0-9]+',
    '(?:Patient|Encounter)/\\d{1,10}',
    '[A-Za-z]+/[0-9a-f]{8}-.*',
    '(ab)+/1',
  ])('accepts %s', (pattern) => {
    expect(checkIdSelector(pattern)).toBeUndefined();
  });

  it.each([
    ['(a+)+', /quantified group/],
    ['(?:[0-9]*)*/x', /quantified group/],
    ['((a|b)c)*', /quantified group/],
    ['(a|aa)+/1', /quantified group/],
    ['(x)\\1', /back-references/],
    ['(?<n>x)\\k<n>', /back-references/],
    ['a+b+c+d+', /unbounded quantifiers/],
    ['a{2,}b*c+d*', /unbounded quantifiers/],
    ['(unclosed', /not a valid regular expression/],
    ['', /empty/],
  ])('refuses %s', (pattern, reason) => {
    expect(checkIdSelector(pattern)).toMatch(reason);
  });

  it('compiles to a full match over Type/id', () => {
    const selector = compileIdSelector('[a-zA-Z]+/[0-9]+');
    expect(selector.test('Patient/123')).toBe(true);
    expect(selector.test('xPatient/123x')).toBe(false);
    expect(compileIdSelector('Patient/1|Observation/2').test('Observation/2')).toBe(true);
    expect(compileIdSelector('Patient/1|Observation/2').test('Observation/2x')).toBe(false);
  });
});
