import { describe, expect, it } from 'vitest';
import { OperationOutcomeError, badRequest } from '../../../shared/fhir/outcomes.js';
import { compileCriteria } from '../../../shared/criteria/index.js';

const rejectionOf = (criteria: string): OperationOutcomeError => {
  try {
    compileCriteria(criteria);
  } catch (error) {
    if (error instanceof OperationOutcomeError) return error;
    throw error;
  }
  throw new Error(`expected "${criteria}" to be rejected`);
};

type Rejection = readonly [construct: string, criteria: string, parameter: string];

const unsupported: readonly Rejection[] = [
  ['a chained parameter', 'Observation?subject.name=peter', 'subject.name'],
  ['a typed chain', 'Observation?subject:Patient.name=peter', 'subject:Patient.name'],
  ['reverse chaining', 'Patient?_has:Observation:patient:code=1234-5', '_has:Observation:patient:code'],
  ['_text', 'Observation?_text=cough', '_text'],
  ['_content', 'Observation?_content=cough', '_content'],
  ['_filter', 'Observation?_filter=code eq 1234-5', '_filter'],
  ['_list', 'Observation?_list=42', '_list'],
  ['_query', 'Observation?_query=custom', '_query'],
  ['an unknown parameter', 'Observation?flavour=sweet', 'flavour'],
  ['a parameter of another type', 'Observation?family=smith', 'family'],
  ['_sort', 'Observation?status=final&_sort=date', '_sort'],
  ['_count', 'Observation?_count=10', '_count'],
  ['_include', 'Observation?_include=Observation:subject', '_include'],
  ['the ap prefix on dates', 'Observation?date=ap2020', 'date'],
  ['the ap prefix on quantities', 'Observation?value-quantity=ap100', 'value-quantity'],
  ['an unknown token modifier', 'Observation?code:in=http://example.org/vs', 'code:in'],
  ['token :below', 'Observation?code:below=1234', 'code:below'],
  ['token :of-type', 'Patient?identifier:of-type=http://x|MR|1', 'identifier:of-type'],
  ['string :text', 'Patient?name:text=zoe', 'name:text'],
  ['a modifier on dates', 'Observation?date:exact=2020', 'date:exact'],
  ['reference :identifier', 'Observation?subject:identifier=http://x|1', 'subject:identifier'],
  ['a system on a code element', 'Observation?status=http://hl7.org/fhir/observation-status|final', 'status'],
  ['a system on a ContactPoint', 'Patient?email=email|a@b.c', 'email'],
  ['token :text on a code element', 'Observation?status:text=fin', 'status'],
  ['an expression with exists()', 'Patient?deceased=true', 'deceased'],
  ['a quantity parameter on Range', 'Condition?onset-age=10', 'onset-age'],
  ['a reference parameter on a canonical', 'Observation?instantiates-canonical=x', 'instantiates-canonical'],
];

const invalid: readonly Rejection[] = [
  ['a malformed date', 'Observation?date=2020-13', 'date'],
  ['a date with an hour but no minutes', 'Observation?date=2020-03-05T10', 'date'],
  ['a number with an exponent', 'RiskAssessment?probability=1e2', 'probability'],
  ['a quantity with two parts', 'Observation?value-quantity=5|mg', 'value-quantity'],
  ['a boolean token that is not true/false', 'Patient?active=yes', 'active'],
  ['a reference to a type the parameter cannot target', 'Observation?subject=Medication/m1', 'subject'],
  [
    'a composite with the wrong number of parts',
    'Observation?code-value-quantity=1234-5',
    'code-value-quantity',
  ],
  [':missing with a non-boolean', 'Observation?code:missing=yes', 'code'],
];

describe('Function: compileCriteria (rejections)', () => {
  it.each(unsupported)('rejects %s, naming the parameter', (_construct, criteria, parameter) => {
    const error = rejectionOf(criteria);
    const issue = error.outcome.issue?.[0];
    expect(issue?.code).toBe('invalid');
    expect(issue?.expression).toEqual(['Subscription.criteria']);
    expect(issue?.diagnostics).toMatch(
      new RegExp(
        `^Unsupported search parameter "${parameter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" in criteria: `,
      ),
    );
  });

  it.each(invalid)('rejects %s as an invalid value of the parameter', (_construct, criteria, parameter) => {
    expect(rejectionOf(criteria).outcome.issue?.[0]?.diagnostics).toContain(
      `search parameter "${parameter}"`,
    );
  });

  it('gives the outcome badRequest builds, with status 400', () => {
    expect(rejectionOf('Observation?subject.name=peter').outcome).toEqual(
      badRequest(
        'Unsupported search parameter "subject.name" in criteria: chained parameters cannot be evaluated exactly',
        'Subscription.criteria',
      ),
    );
  });

  it.each([
    ['an unknown resource type', 'Foo?status=final'],
    ['an unknown type in a list', '[Patient,Foo]'],
    ['an empty type', '?status=final'],
    ['a parameter without a value', 'Observation?status='],
    ['a parameter without "="', 'Observation?status'],
    ['malformed percent-encoding', 'Observation?code=%E0%A4%A'],
  ])('rejects %s', (_label, criteria) => {
    expect(rejectionOf(criteria).outcome.issue?.[0]?.diagnostics).toMatch(/^Invalid criteria: /);
  });

  it('never echoes a criteria value in its diagnostics (it may be PHI)', () => {
    const diagnostics = rejectionOf('Patient?identifier:of-type=http://x|MR|SECRET-123').message;
    expect(diagnostics).not.toContain('SECRET-123');
    expect(rejectionOf('Patient?birthdate=1980-02-30').message).not.toContain('1980');
  });
});
