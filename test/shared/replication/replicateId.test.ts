import { describe, expect, it } from 'vitest';
import {
  compiledSelectorCount,
  MAX_COMPILED_SELECTORS,
  replicateId,
} from '../../../shared/replication/replicateId.js';

describe('replicateId (compiled selectors)', () => {
  it('keeps at most MAX_COMPILED_SELECTORS compiled, however many selectors an instance meets', () => {
    // A deliverer living through 1,000 subscription changes, each with its own selector.
    for (let index = 0; index < 1_000; index += 1) {
      const settings = { idPrefix: 'CDR1-', idPrefixSelector: `[a-zA-Z]+/${index}[0-9]*` };
      expect(replicateId('Patient', `${index}7`, settings)).toBe(`CDR1-${index}7`);
      expect(replicateId('Patient', 'x', settings)).toBe('x');
    }
    expect(compiledSelectorCount()).toBe(MAX_COMPILED_SELECTORS);
  });
});

describe('replicateId (ids that are no FHIR ids)', () => {
  it('never runs a selector on an id over 64 characters, naming where it was found and not the id', () => {
    const settings = { idPrefix: 'CDR1-', idPrefixSelector: '.*' };
    const id = 'x'.repeat(65);
    expect(() => replicateId('Patient', id, settings, 'Observation.subject.reference')).toThrow(
      'Observation.subject.reference: the id is 65 characters, so it is not a FHIR id (at most 64); replicate-id-prefix-selector is not run on it',
    );
    expect(() => replicateId('Patient', id, settings)).toThrow(/^Patient\.id: /);
    expect(replicateId('Patient', 'x'.repeat(64), settings)).toBe(`CDR1-${'x'.repeat(64)}`);
    // Without a selector there is nothing to run: the caller checks the length.
    expect(replicateId('Patient', id, { idPrefix: 'CDR1-' })).toBe(`CDR1-${id}`);
    // Stripping happens first, so the selector sees the stripped id.
    expect(replicateId('Patient', `OLD-${'x'.repeat(64)}`, { ...settings, stripIdPrefix: 'OLD-' })).toBe(
      `CDR1-${'x'.repeat(64)}`,
    );
  });
});
