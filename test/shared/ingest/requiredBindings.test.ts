import type { TypedValueWithPath } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import {
  checkRequiredBindings,
  computeRequiredCodes,
  computeRequiredCodesFromDefinitions,
  indexRequiredCodes,
  type RequiredCodes,
} from '../../../shared/ingest/requiredBindings.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import type { DefinitionBundle } from '../../../shared/ingest/validationDefinitions.js';
import { validateFhirResource } from '../../../shared/ingest/validateFhirResource.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import {
  FakeMatcher,
  fhirRequest,
  observation,
  patient,
  RecordingQueue,
  syntheaLikeTransaction,
} from '../../helpers/ingestFakes.js';
import { hasSynthea, loadSyntheaResources, SYNTHEA_SKIP_MESSAGE } from '../../helpers/synthea.js';

const OBSERVATION_STATUS = 'http://hl7.org/fhir/ValueSet/observation-status|4.0.1';
const CONDITION_CLINICAL_SYSTEM = 'http://terminology.hl7.org/CodeSystem/condition-clinical';

const condition = (clinicalStatus: unknown) => ({
  resourceType: 'Condition',
  id: 'c1',
  subject: { reference: 'Patient/p1' },
  code: { text: 'Example' },
  clinicalStatus,
});

/** A StructureDefinitions Bundle with one required binding per value set URL given. */
const bindings = (...valueSets: string[]): DefinitionBundle => ({
  entry: [
    {
      resource: {
        resourceType: 'StructureDefinition',
        snapshot: {
          element: [
            { path: 'X' },
            ...valueSets.map((valueSet, index) => ({
              path: `X.e${index}`,
              binding: { strength: 'required', valueSet },
            })),
            { path: 'X.preferred', binding: { strength: 'preferred', valueSet: 'http://x/vs/preferred' } },
          ],
        },
      },
    },
  ],
});

const terminology = (...resources: unknown[]): DefinitionBundle => ({
  entry: resources.map((resource) => ({ resource })),
});

const codeSystem = (url: string, concept: unknown[], extra: Record<string, unknown> = {}) => ({
  resourceType: 'CodeSystem',
  url,
  version: '1.0',
  content: 'complete',
  caseSensitive: true,
  concept,
  ...extra,
});

const valueSet = (url: string, compose: unknown, version = '1.0') => ({
  resourceType: 'ValueSet',
  url,
  version,
  compose,
});

describe('Function: validateFhirResource (required bindings)', () => {
  it('rejects Observation.status outside its value set, naming the element and value set but not the value', () => {
    const issues = validateFhirResource(observation({ id: 'o1', status: 'bogus' }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      severity: 'error',
      code: 'code-invalid',
      expression: ['Observation.status'],
    });
    expect(issues[0]?.diagnostics).toContain('Observation.status');
    expect(issues[0]?.diagnostics).toContain('http://hl7.org/fhir/ValueSet/observation-status');
    expect(issues[0]?.diagnostics).not.toContain('bogus');
  });

  it('rejects Patient.gender outside administrative-gender', () => {
    const issues = validateFhirResource(patient({ gender: 'x' }));
    expect(issues).toEqual([
      expect.objectContaining({ code: 'code-invalid', expression: ['Patient.gender'] }),
    ]);
  });

  it('accepts valid codes, nested-concept codes and required CodeableConcepts from their system', () => {
    expect(validateFhirResource(observation({ id: 'o1', status: 'amended' }))).toEqual([]);
    // `corrected` is nested under `amended` in the observation-status CodeSystem.
    expect(validateFhirResource(observation({ id: 'o1', status: 'corrected' }))).toEqual([]);
    expect(validateFhirResource(patient({ gender: 'unknown' }))).toEqual([]);
    expect(
      validateFhirResource(
        condition({ coding: [{ system: CONDITION_CLINICAL_SYSTEM, code: 'active' }] }) as never,
      ),
    ).toEqual([]);
  });

  it('points a violation inside a Bundle entry at Bundle.entry[n].resource', () => {
    const issues = validateFhirResource(
      observation({ id: 'o1', status: 'bogus' }),
      'Bundle.entry[2].resource',
    );
    expect(issues).toEqual([
      expect.objectContaining({ code: 'code-invalid', expression: ['Bundle.entry[2].resource.status'] }),
    ]);
    expect(issues[0]?.diagnostics).toContain('Bundle.entry[2].resource.status');
  });

  it('checks codes in contained resources and nested elements, by path', () => {
    const issues = validateFhirResource(
      observation({
        id: 'o1',
        contained: [{ resourceType: 'Patient', id: 'p', gender: 'x' }],
        valueQuantity: { value: 1, comparator: '<<' },
      }),
    );
    expect(issues.flatMap((issue) => issue.expression ?? []).sort()).toEqual([
      'Observation.contained[0].gender',
      'Observation.value[x].comparator',
    ]);
  });

  it('rejects a required CodeableConcept none of whose codings is in the value set', () => {
    const wrongCode = condition({ coding: [{ system: CONDITION_CLINICAL_SYSTEM, code: 'bogus' }] });
    const otherSystem = condition({ coding: [{ system: 'http://snomed.info/sct', code: '55561003' }] });
    for (const resource of [wrongCode, otherSystem]) {
      expect(validateFhirResource(resource as never)).toEqual([
        expect.objectContaining({ code: 'code-invalid', expression: ['Condition.clinicalStatus'] }),
      ]);
    }
  });

  it('does not judge what it cannot decide: text-only or system-less CodeableConcepts, non-enumerable value sets', () => {
    expect(validateFhirResource(condition({ text: 'active-ish' }) as never)).toEqual([]);
    expect(validateFhirResource(condition({ coding: [{ code: 'whatever' }] }) as never)).toEqual([]);
    // Attachment.contentType is bound (required) to mimetypes, i.e. all of BCP 13: not enumerable.
    expect(computeRequiredCodesFromDefinitions()).not.toHaveProperty([
      'http://hl7.org/fhir/ValueSet/mimetypes|4.0.1',
    ]);
    const document = {
      resourceType: 'DocumentReference',
      id: 'd1',
      status: 'current',
      content: [{ attachment: { contentType: 'application/x-made-up', url: 'https://example.org/a' } }],
    };
    expect(validateFhirResource(document)).toEqual([]);
  });

  it.skipIf(!hasSynthea())('accepts every Synthea resource', () => {
    const resources = loadSyntheaResources({ asStored: true });
    expect(resources.length).toBeGreaterThan(1000);
    const rejected = resources
      .map((resource) => ({
        key: `${resource.resourceType}/${resource.id}`,
        issues: validateFhirResource(resource),
      }))
      .filter(({ issues }) => issues.length > 0);
    expect(rejected.slice(0, 5)).toEqual([]);
  });
  if (!hasSynthea()) console.warn(SYNTHEA_SKIP_MESSAGE);
});

describe('Function: computeRequiredCodes', () => {
  it('expands whole code systems with nested concepts, concept lists, included value sets and excludes', () => {
    const codes = computeRequiredCodes(
      [bindings('http://x/vs/whole|1.0', 'http://x/vs/list', 'http://x/vs/nested', 'http://x/vs/excluding')],
      terminology(
        codeSystem('http://x/cs/a', [
          { code: 'a1', concept: [{ code: 'a1.1', concept: [{ code: 'a1.1.1' }] }] },
          { code: 'a2' },
        ]),
        valueSet('http://x/vs/whole', { include: [{ system: 'http://x/cs/a' }] }),
        valueSet('http://x/vs/list', {
          include: [{ system: 'http://external/cs', concept: [{ code: 'z' }, { code: 'y' }] }],
        }),
        valueSet('http://x/vs/nested', {
          include: [
            { valueSet: ['http://x/vs/list'] },
            { system: 'http://x/cs/a', concept: [{ code: 'a2' }] },
          ],
        }),
        valueSet('http://x/vs/excluding', {
          include: [{ system: 'http://x/cs/a' }],
          exclude: [{ system: 'http://x/cs/a', concept: [{ code: 'a1.1' }] }],
        }),
      ),
    );
    expect(codes).toEqual({
      'http://x/vs/whole|1.0': { 'http://x/cs/a': ['a1', 'a1.1', 'a1.1.1', 'a2'] },
      'http://x/vs/list': { 'http://external/cs': ['y', 'z'] },
      'http://x/vs/nested': { 'http://external/cs': ['y', 'z'], 'http://x/cs/a': ['a2'] },
      'http://x/vs/excluding': { 'http://x/cs/a': ['a1', 'a1.1.1', 'a2'] },
    });
  });

  it('intersects a system and value sets named in one include', () => {
    const codes = computeRequiredCodes(
      [bindings('http://x/vs/both')],
      terminology(
        codeSystem('http://x/cs/a', [{ code: 'a1' }, { code: 'a2' }, { code: 'a3' }]),
        valueSet('http://x/vs/some', {
          include: [{ system: 'http://x/cs/a', concept: [{ code: 'a2' }, { code: 'a3' }] }],
        }),
        valueSet('http://x/vs/both', {
          include: [
            {
              system: 'http://x/cs/a',
              valueSet: ['http://x/vs/some'],
              concept: [{ code: 'a1' }, { code: 'a2' }],
            },
          ],
        }),
      ),
    );
    expect(codes).toEqual({ 'http://x/vs/both': { 'http://x/cs/a': ['a2'] } });
  });

  it('leaves out value sets it cannot enumerate exactly', () => {
    const codes = computeRequiredCodes(
      [
        bindings(
          'http://x/vs/filter',
          'http://x/vs/external',
          'http://x/vs/fragment',
          'http://x/vs/ok|2.0',
          'http://x/vs/missing',
          'http://x/vs/via-filter',
          'http://x/vs/cycle',
        ),
      ],
      terminology(
        codeSystem('http://x/cs/a', [{ code: 'a1' }]),
        codeSystem('http://x/cs/fragment', [{ code: 'f1' }], { content: 'fragment' }),
        valueSet('http://x/vs/filter', {
          include: [{ system: 'http://x/cs/a', filter: [{ property: 'concept', op: 'is-a', value: 'a1' }] }],
        }),
        valueSet('http://x/vs/external', { include: [{ system: 'urn:ietf:bcp:13' }] }),
        valueSet('http://x/vs/fragment', { include: [{ system: 'http://x/cs/fragment' }] }),
        valueSet('http://x/vs/ok', { include: [{ system: 'http://x/cs/a' }] }, '1.0'),
        valueSet('http://x/vs/via-filter', {
          include: [{ system: 'http://x/cs/a' }, { valueSet: ['http://x/vs/filter'] }],
        }),
        valueSet('http://x/vs/cycle', { include: [{ valueSet: ['http://x/vs/cycle'] }] }),
      ),
    );
    expect(codes).toEqual({});
  });

  it('covers the R4 core required bindings: status codes and clinical-status concepts, not UCUM or BCP 13', () => {
    const codes = computeRequiredCodesFromDefinitions();
    expect(codes[OBSERVATION_STATUS]).toEqual({
      'http://hl7.org/fhir/observation-status': expect.arrayContaining(['final', 'amended', 'corrected']),
    });
    expect(codes['http://hl7.org/fhir/ValueSet/condition-clinical|4.0.1']).toHaveProperty([
      CONDITION_CLINICAL_SYSTEM,
    ]);
    expect(codes).not.toHaveProperty(['http://hl7.org/fhir/ValueSet/ucum-units|4.0.1']);
    expect(Object.keys(codes).length).toBeGreaterThan(200);
  });
});

describe('Function: checkRequiredBindings', () => {
  const index = indexRequiredCodes({
    'http://x/vs/a': { 'http://x/cs/a': ['a1', 'a2'] },
  } satisfies RequiredCodes);
  const token = (type: string, value: unknown, path = 'X.e'): TypedValueWithPath => ({ type, value, path });

  it('judges codes, Codings and CodeableConcepts, and skips value sets it has no codes for', () => {
    const issues = checkRequiredBindings(
      {
        'http://x/vs/a': [
          token('code', 'a1', 'X.ok'),
          token('code', 'a3', 'X.code'),
          token('Coding', { system: 'http://x/cs/a', code: 'a2' }, 'X.okCoding'),
          token('Coding', { system: 'http://x/cs/b', code: 'a2' }, 'X.coding'),
          token('Coding', { code: 'a9' }, 'X.undecided'),
          token(
            'CodeableConcept',
            {
              coding: [
                { system: 'http://x/cs/b', code: 'b' },
                { system: 'http://x/cs/a', code: 'a1' },
              ],
            },
            'X.okConcept',
          ),
          token(
            'CodeableConcept',
            { coding: [{ system: 'http://x/cs/b', code: 'b' }, { code: 'a9' }] },
            'X.undecidedConcept',
          ),
          token('string', 'whatever', 'X.string'),
        ],
        'http://x/vs/unknown': [token('code', 'zzz', 'X.unknown')],
      },
      index,
      (path) => `Root.${path}`,
    );
    expect(issues.map((issue) => issue.expression?.[0])).toEqual(['Root.X.code', 'Root.X.coding']);
    expect(issues.every((issue) => issue.code === 'code-invalid')).toBe(true);
  });

  it('reports a path once when the validator files its values under a versioned and an unversioned URL', () => {
    const values = [token('code', 'a3', 'X.code')];
    const twice = indexRequiredCodes({
      'http://x/vs/a': { 'http://x/cs/a': ['a1'] },
      'http://x/vs/a|1.0': { 'http://x/cs/a': ['a1'] },
    });
    const issues = checkRequiredBindings({ 'http://x/vs/a': values, 'http://x/vs/a|1.0': values }, twice);
    expect(issues.map((issue) => issue.expression)).toEqual([['X.code']]);
  });
});

describe('Function: createIngestRouter (required bindings)', () => {
  const setup = () => {
    const ledger = new InMemoryVersionLedger();
    const queue = new RecordingQueue();
    const pipeline = new DefaultWritePipeline({
      ledger,
      matcher: new FakeMatcher(),
      queue,
      now: () => new Date(),
    });
    const route = createIngestRouter({
      pipeline,
      limits: { maxBundleEntries: 1000 },
      observer: { rejected: () => undefined, written: () => undefined },
    });
    return { ledger, queue, route };
  };

  it('answers 400 to a PUT with an invalid status, recording and enqueuing nothing', async () => {
    const { ledger, queue, route } = setup();
    const response = await route(
      fhirRequest({
        method: 'PUT',
        path: 'Observation/o1',
        body: observation({ id: 'o1', status: 'bogus' }),
      }),
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'code-invalid', expression: ['Observation.status'] }],
    });
    expect(JSON.stringify(response.body)).not.toContain('bogus');
    expect(queue.messages).toHaveLength(0);
    expect([...(await ledger.getLatest(['Observation/o1'])).keys()]).toEqual([]);
  });

  it('answers 400 to a transaction with an invalid status in one entry, naming the entry', async () => {
    const { queue, route } = setup();
    const bundle = syntheaLikeTransaction(2) as unknown as { entry: Record<string, unknown>[] };
    const entry = bundle.entry[2] as { resource: Record<string, unknown> };
    entry.resource = { ...entry.resource, status: 'bogus' };
    const response = await route(fhirRequest({ method: 'POST', path: '', body: bundle }));
    expect(response.status).toBe(400);
    const issues = (response.body as { issue: { code: string; expression?: string[] }[] }).issue;
    expect(issues).toContainEqual(
      expect.objectContaining({ code: 'code-invalid', expression: ['Bundle.entry[2].resource.status'] }),
    );
    expect(queue.messages).toHaveLength(0);
  });
});
