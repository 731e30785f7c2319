import { describe, expect, it } from 'vitest';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { SearchParameterTable } from '../../../shared/criteria/index.js';
import { OperationOutcomeError } from '../../../shared/fhir/outcomes.js';

/** A table other than the R4 one: parameter kinds and shapes the published definitions never produce. */
const table: SearchParameterTable = {
  resourceTypes: ['Other', 'Thing'],
  parameters: {
    Thing: {
      near: {
        code: 'near',
        type: 'special',
        expression: 'Thing.position',
        paths: [{ steps: [{ name: 'position' }], type: 'BackboneElement' }],
      },
      ref: {
        code: 'ref',
        type: 'reference',
        expression: 'Thing.ref',
        paths: [{ steps: [{ name: 'ref' }], type: 'Reference' }],
      },
      anyRef: {
        code: 'anyRef',
        type: 'reference',
        expression: 'Thing.ref',
        paths: [{ steps: [{ name: 'ref' }], type: 'Reference' }],
        targets: [],
      },
      amount: {
        code: 'amount',
        type: 'token',
        expression: 'Thing.amount',
        paths: [{ steps: [{ name: 'amount' }], type: 'Quantity' }],
      },
    },
  },
};

const diagnosticsOf = (criteria: string): string | undefined => {
  try {
    compileCriteria(criteria, table);
  } catch (error) {
    if (error instanceof OperationOutcomeError) return error.outcome.issue?.[0]?.diagnostics;
    throw error;
  }
  throw new Error(`expected "${criteria}" to be rejected`);
};

describe('Function: compileCriteria (with another table)', () => {
  it('matches a reference parameter without target types by Type/id, any type', () => {
    const thing = { resourceType: 'Thing', id: 't1', ref: { reference: 'Other/o1' } };
    expect(compileCriteria('Thing?ref=Other/o1', table).matches(thing)).toBe(true);
    expect(compileCriteria('Thing?ref:Other=o1', table).matches(thing)).toBe(true);
    expect(compileCriteria('Thing?ref=Thing/o1', table).matches(thing)).toBe(false);
  });

  it('needs a type for a bare id when the parameter has no target types', () => {
    expect(diagnosticsOf('Thing?ref=o1')).toBe(
      'Invalid value for search parameter "ref" in criteria: a bare id needs a type (Type/id)',
    );
    expect(diagnosticsOf('Thing?anyRef=o1')).toBe(
      'Invalid value for search parameter "anyRef" in criteria: a bare id needs a type (Type/id)',
    );
  });

  it('refuses special parameters and token search on elements without codes', () => {
    expect(diagnosticsOf('Thing?near=1')).toBe(
      'Unsupported search parameter "near" in criteria: special parameters are not supported',
    );
    expect(diagnosticsOf('Thing?amount=5')).toBe(
      'Unsupported search parameter "amount" in criteria: token search on Quantity elements is not supported',
    );
  });

  it('looks a parameter up without a Resource entry in the table', () => {
    expect(diagnosticsOf('Other?_id=o1')).toBe(
      'Unsupported search parameter "_id" in criteria: it is not a FHIR R4 search parameter of Other',
    );
  });
});
