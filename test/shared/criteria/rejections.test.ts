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
        'Unsupported search parameter "subject.name" in criteria: a chained parameter reads the resource it refers to, so it can only be evaluated by a search on the source FHIR server, and this deployment names none (sourceFhir.baseUrl in the configuration; in local mode --source-fhir-url, or the source stand-in, which starts by default)',
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

const unsupportedBecause = (parameter: string, reason: string): string =>
  `Unsupported search parameter "${parameter}" in criteria: ${reason}`;
const invalidBecause = (parameter: string, reason: string): string =>
  `Invalid value for search parameter "${parameter}" in criteria: ${reason}`;
const SYSTEM_ON_CODE =
  'a system-qualified token cannot be evaluated exactly on a code element (it has no code system of its own)';

const explained: readonly (readonly [criteria: string, diagnostics: string])[] = [
  // the criteria as a whole
  ['Observation?code=%E0%A4%A', 'Invalid criteria: malformed percent-encoding'],
  ['[Patient,Foo]', 'Invalid criteria: "Foo" is not a FHIR R4 resource type'],
  ['[*,Patient]', 'Invalid criteria: "*" is not a FHIR R4 resource type'],
  ['?status=final', 'Invalid criteria: a resource type is required'],
  ['Foo?status=final', 'Invalid criteria: "Foo" is not a FHIR R4 resource type'],
  ['Observation?=final', 'Invalid criteria: each parameter must be name=value'],
  ['Observation?status', 'Invalid criteria: each parameter must be name=value'],
  ['Observation?status=', 'Invalid criteria: parameter "status" has an empty value'],
  // parameters and modifiers
  [
    'Observation?_has=x',
    unsupportedBecause('_has', 'reverse chaining (_has) needs a parameter: _has:Type:reference:parameter'),
  ],
  [
    'Patient?_has:Observation:patient:code=1',
    unsupportedBecause(
      '_has:Observation:patient:code',
      'reverse chaining (_has) reads the resources that refer to it, so it can only be evaluated by a search on the source FHIR server, and this deployment names none (sourceFhir.baseUrl in the configuration; in local mode --source-fhir-url, or the source stand-in, which starts by default)',
    ),
  ],
  [
    'Observation?_sort=date',
    unsupportedBecause('_sort', 'result parameters do not select resources and are not allowed in criteria'),
  ],
  [
    'Observation?flavour=sweet',
    unsupportedBecause('flavour', 'it is not a FHIR R4 search parameter of Observation'),
  ],
  [
    'Observation?:missing=true',
    unsupportedBecause('', 'it is not a FHIR R4 search parameter of Observation'),
  ],
  [
    'Patient?deceased=true',
    unsupportedBecause(
      'deceased',
      'its definition cannot be evaluated exactly (FHIRPath construct in "Patient.deceased.exists() and Patient.deceased != false" is not supported)',
    ),
  ],
  [
    'Observation?code-value-quantity:missing=true',
    unsupportedBecause('code-value-quantity', ':missing on a composite parameter'),
  ],
  ['Observation?code:missing=yes', invalidBecause('code', ':missing takes true or false')],
  [
    'Observation?code:Patient=1234-5',
    unsupportedBecause('code:Patient', 'the :Patient modifier is not supported on token parameters'),
  ],
  [
    'Observation?subject:Medication=m1',
    invalidBecause('subject', 'the parameter cannot refer to a Medication'),
  ],
  [
    'Observation?code-value-quantity=1234-5',
    invalidBecause('code-value-quantity', 'expected 2 components separated by "$"'),
  ],
  // date, number, quantity
  [
    'Observation?date=ap2020',
    unsupportedBecause('date', 'the ap (approximately) prefix has no exact definition'),
  ],
  [
    'Observation?date=2020-13',
    invalidBecause('date', 'expected a FHIR date, dateTime or instant after the prefix'),
  ],
  [
    'RiskAssessment?probability=1e2',
    invalidBecause('probability', 'expected a decimal number (no exponent) after the prefix'),
  ],
  [
    'RiskAssessment?probability=ap1',
    unsupportedBecause('probability', 'the ap (approximately) prefix has no exact definition'),
  ],
  [
    'Observation?value-quantity=5|mg',
    invalidBecause('value-quantity', 'expected number, number|system|code or number||code'),
  ],
  [
    'Observation?value-quantity=5|a|b|c',
    invalidBecause('value-quantity', 'expected number, number|system|code or number||code'),
  ],
  [
    'Observation?value-quantity=5|http://unitsofmeasure.org|',
    invalidBecause('value-quantity', 'a quantity system needs a code'),
  ],
  // reference
  [
    'Observation?subject:Patient=https://example.org/fhir/Patient/p1',
    invalidBecause('subject', 'a :Type modifier needs an id, not a URL'),
  ],
  ['Observation?subject=Foo/f1', invalidBecause('subject', 'the reference names an unknown resource type')],
  [
    'Observation?subject=Medication/m1',
    invalidBecause('subject', 'the parameter cannot refer to a Medication'),
  ],
  [
    'Observation?subject=two%20words',
    invalidBecause('subject', 'expected Type/id, an id or an absolute URL'),
  ],
  // string, uri
  ['Patient?family=zoe,', invalidBecause('family', 'the value is empty')],
  ['ValueSet?url=http://example.org,', invalidBecause('url', 'the value is empty')],
  // token
  ['Observation?code=a|b|c', invalidBecause('code', 'a token has at most one unescaped "|"')],
  ['Observation?code=1234-5,', invalidBecause('code', 'the value is empty')],
  ['Observation?code=|', invalidBecause('code', 'the value is empty')],
  ['Observation?status=|final', unsupportedBecause('status', SYSTEM_ON_CODE)],
  [
    'Observation?status=http://hl7.org/fhir/observation-status|',
    unsupportedBecause('status', SYSTEM_ON_CODE),
  ],
  [
    'Observation?status=final,http://hl7.org/fhir/observation-status|final',
    unsupportedBecause('status', SYSTEM_ON_CODE),
  ],
  ['Patient?active=yes', invalidBecause('active', 'expected true or false')],
  [
    'Observation?status:text=fin',
    unsupportedBecause('status', 'the :text modifier needs a text to compare and code elements have none'),
  ],
];

describe('Function: compileCriteria (diagnostics)', () => {
  it.each(explained)('explains why %s is rejected', (criteria, diagnostics) => {
    expect(rejectionOf(criteria).outcome.issue?.[0]?.diagnostics).toBe(diagnostics);
  });
});
