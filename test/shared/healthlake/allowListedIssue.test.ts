import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { allowListedIssue, DIAGNOSTICS_WITHHELD } from '../../../shared/healthlake/allowListedIssue.js';

/** Values a hostile or careless server may echo; none may survive. */
const SECRETS = ['Jane', 'Smith', "O'Brien", '123-45-6789', '1970-01-01', 'MRN-4711', '555-0100', 'Main St'];

const HOSTILE_DIAGNOSTICS = [
  // HAPI-style echo of the JSON it failed to parse.
  'HAPI-0450: Failed to parse request body as JSON resource. Error was: HAPI-1861: Failed to parse JSON encoded FHIR content: Unexpected character at [line: 1, column: 42] {"name":[{"family":"Smith","given":["Jane"]}],"birthDate":"1970-01-01"}',
  // Unquoted values.
  'Identifier 123-45-6789 already exists for Patient MRN-4711',
  // Apostrophes and curly quotes.
  "Name O'Brien is not allowed; phone ‘555-0100’ invalid at Main St",
  // Smart quotes and mixed.
  'Value “Jane Smith” for Patient.birthDate 1970-01-01 is invalid',
  // Looks like the safe message but names no R4 type, or carries more.
  'ResourceType Smith is not supported.',
  'ResourceType Patient is not supported. Jane Smith 123-45-6789',
  'ResourceType Jane Smith is not supported.',
  // A huge text.
  `${'x'.repeat(100_000)} 123-45-6789`,
];

const issue = (fields: Partial<OperationOutcomeIssue>): OperationOutcomeIssue => ({
  severity: 'error',
  code: 'invalid',
  ...fields,
});

describe('Function: allowListedIssue', () => {
  it.each(HOSTILE_DIAGNOSTICS)('withholds hostile diagnostics: %s', (diagnostics) => {
    const kept = allowListedIssue(issue({ diagnostics }));
    expect(kept).toEqual({ code: 'invalid', diagnostics: DIAGNOSTICS_WITHHELD });
    for (const secret of SECRETS) expect(JSON.stringify(kept)).not.toContain(secret);
  });

  it('keeps HealthLake\'s "ResourceType X is not supported." when X is an R4 type', () => {
    expect(
      allowListedIssue(
        issue({ code: 'not-supported', diagnostics: 'ResourceType Linkage is not supported.' }),
      ),
    ).toEqual({ code: 'not-supported', diagnostics: 'ResourceType Linkage is not supported.' });
    expect(
      allowListedIssue(issue({ diagnostics: ' ResourceType Media is not supported ' })).diagnostics,
    ).toBe('ResourceType Media is not supported.');
  });

  it('withholds details.text the same way, and keeps nothing of an empty text', () => {
    expect(allowListedIssue(issue({ details: { text: 'Patient Jane Smith' } }))).toEqual({
      code: 'invalid',
      diagnostics: DIAGNOSTICS_WITHHELD,
    });
    expect(allowListedIssue(issue({ diagnostics: '   ' }))).toEqual({ code: 'invalid' });
    expect(allowListedIssue(undefined)).toEqual({});
  });

  it('keeps an IssueType code only', () => {
    expect(allowListedIssue(issue({ code: 'Jane Smith' as OperationOutcomeIssue['code'] }))).toEqual({});
    expect(allowListedIssue(issue({ code: 'throttled' }))).toEqual({ code: 'throttled' });
  });

  it('keeps plain element paths from expression and location, at most five, and drops anything else', () => {
    const kept = allowListedIssue(
      issue({
        diagnostics: 'Jane Smith',
        expression: [
          'Patient.name[0].given[1]',
          "Patient.name.where(family='Smith')",
          'Patient.identifier[0].value = 123-45-6789',
          'Bundle.entry[2].resource',
        ],
        location: ['Patient.birthDate', '/f:Patient/f:name', 'Patient.birthDate'],
      }),
    );
    expect(kept.diagnostics).toBe(
      `${DIAGNOSTICS_WITHHELD} at Patient.name[0].given[1], Bundle.entry[2].resource, Patient.birthDate`,
    );
    const many = allowListedIssue(
      issue({ expression: ['A.a', 'A.b', 'A.c', 'A.d', 'A.e', 'A.f'], diagnostics: undefined }),
    );
    expect(many.diagnostics).toBe('at A.a, A.b, A.c, A.d, A.e');
    expect(allowListedIssue(issue({ expression: [`Patient.${'a'.repeat(300)}`] }))).toEqual({
      code: 'invalid',
    });
  });
});
