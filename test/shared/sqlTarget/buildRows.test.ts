import { describe, expect, it } from 'vitest';
import { buildRows } from '../../../shared/sqlTarget/buildRows.js';
import { compileMapping } from '../../../shared/sqlTarget/compileMapping.js';
import { FhirPathEvaluationError, ValueDoesNotFitError } from '../../../shared/sqlTarget/errors.js';
import type { CompiledTransformer } from '../../../shared/sqlTarget/types.js';
import { OBSERVATION_MAPPING, observation } from '../../helpers/sqlMappings.js';

const mapping = compileMapping({
  transformers: [
    ...OBSERVATION_MAPPING.transformers,
    {
      resourceType: 'Patient',
      table: 'patient',
      columns: [{ name: 'family', path: 'name.family', type: 'text' }],
    },
  ],
});
const observationTransformer = mapping.transformers.get('Observation') as CompiledTransformer;
const [components, codings] = observationTransformer.allChildren;

const bloodPressure = observation('bp1', { components: [['8480-6', 'sys'], ['8462-4']] });

const thrown = (action: () => unknown): Error => {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
};

const sequentialIds = () => {
  let next = 0;
  return () => `00000000-0000-4000-8000-${String(++next).padStart(12, '0')}`;
};

describe('Function: buildRows', () => {
  it('fills each column from its FHIRPath, converted to its SQL type (the date is the day as written)', () => {
    const rows = buildRows(observationTransformer, {
      resourceType: 'Observation',
      id: 'bp1',
      version: 3,
      resource: bloodPressure,
    });
    expect(rows).toMatchObject({ resourceType: 'Observation', id: 'bp1', version: 3 });
    expect(rows.values).toEqual([
      'final',
      72.5,
      2,
      null,
      true,
      '2012-06-02',
      '2012-06-02T23:37:03-05:00',
      '{"coding":[{"system":"http://loinc.org","code":"85354-9"}],"text":"Blood pressure"}',
    ]);
  });

  it('makes one child row per forEach element, nested rows pointing at their parent row', () => {
    const rows = buildRows(
      observationTransformer,
      { resourceType: 'Observation', id: 'bp1', version: 1, resource: bloodPressure },
      sequentialIds(),
    );
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    expect(rows.children.get(components!)).toEqual([
      { id: id(1), parentReference: 'bp1', values: [100] },
      { id: id(4), parentReference: 'bp1', values: [101] },
    ]);
    expect(rows.children.get(codings!)).toEqual([
      { id: id(2), parentReference: id(1), values: ['8480-6', 'final'] },
      { id: id(3), parentReference: id(1), values: ['sys', 'final'] },
      { id: id(5), parentReference: id(4), values: ['8462-4', 'final'] },
    ]);
  });

  it('gives child rows random UUIDs by default', () => {
    const rows = buildRows(observationTransformer, {
      resourceType: 'Observation',
      id: 'bp1',
      version: 1,
      resource: bloodPressure,
    });
    for (const row of rows.children.get(components!) ?? [])
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('names table, column and resource of a value that does not fit, never the value', () => {
    const patient = { resourceType: 'Patient', id: 'p7', name: [{ family: 'Smith' }, { family: 'Jones' }] };
    const attempt = () =>
      buildRows(mapping.transformers.get('Patient') as CompiledTransformer, {
        resourceType: 'Patient',
        id: 'p7',
        version: 1,
        resource: patient,
      });
    expect(attempt).toThrow(ValueDoesNotFitError);
    expect(attempt).toThrow(
      'The value of column "family" of table "patient" for Patient/p7 does not fit: the FHIRPath yields 2 values and a text column holds one (use first(), or a child table)',
    );
    const error = thrown(attempt);
    expect(JSON.stringify({ ...error, message: error.message })).not.toMatch(/Smith|Jones/);
    expect((error as ValueDoesNotFitError).terminal).toBe(true);
  });

  it('reports a FHIRPath that fails on a resource without the engine message (it may quote data)', () => {
    const failing = compileMapping({
      transformers: [
        {
          resourceType: 'Patient',
          table: 'p',
          columns: [{ name: 'x', path: 'name.family.single()', type: 'text' }],
        },
      ],
    }).transformers.get('Patient') as CompiledTransformer;
    const resource = { resourceType: 'Patient', id: 'p8', name: [{ family: 'Smith' }, { family: 'Jones' }] };
    const attempt = () => buildRows(failing, { resourceType: 'Patient', id: 'p8', version: 1, resource });
    expect(attempt).toThrow(FhirPathEvaluationError);
    expect(attempt).toThrow(
      'The FHIRPath expression of column "x" of table "p" for Patient/p8 failed to evaluate',
    );
    expect(thrown(attempt).cause).toBeUndefined();
  });
});
