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
