import type { FhirResource } from '../../shared/fhir/types.js';
import type { MappingDefinition } from '../../shared/sqlTarget/types.js';

/** An Observation mapping with a column of every SQL type, a child table and a grandchild table. */
export const OBSERVATION_MAPPING: MappingDefinition = {
  transformers: [
    {
      resourceType: 'Observation',
      table: 'obs',
      columns: [
        { name: 'status', path: 'status', type: 'text' },
        { name: 'value', path: 'value.ofType(Quantity).value', type: 'numeric' },
        { name: 'component_count', path: 'component.count()', type: 'integer' },
        { name: 'rank', path: 'value.ofType(integer)', type: 'integer' },
        { name: 'has_value', path: 'value.exists()', type: 'boolean' },
        { name: 'day', path: 'effective.ofType(dateTime)', type: 'date' },
        { name: 'at', path: 'effective.ofType(dateTime)', type: 'timestamptz' },
        { name: 'code', path: 'code', type: 'jsonb' },
      ],
      children: [
        {
          table: 'obs_component',
          forEach: 'component',
          columns: [{ name: 'value', path: 'value.ofType(Quantity).value', type: 'numeric' }],
          children: [
            {
              table: 'obs_component_coding',
              forEach: 'code.coding',
              columns: [
                { name: 'code', path: 'code', type: 'text' },
                { name: 'observation_status', path: '%resource.status', type: 'text' },
              ],
            },
          ],
        },
      ],
    },
  ],
};

/** A blood pressure Observation shaped for OBSERVATION_MAPPING: two components, three codings. */
export const observation = (
  id: string,
  options: { status?: string; components?: string[][]; value?: unknown } = {},
): FhirResource => ({
  resourceType: 'Observation',
  id,
  status: options.status ?? 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }], text: 'Blood pressure' },
  effectiveDateTime: '2012-06-02T23:37:03-05:00',
  ...(options.value === undefined
    ? { valueQuantity: { value: 72.5, unit: 'kg' } }
    : { valueInteger: options.value }),
  component: (options.components ?? [['8480-6'], ['8462-4', 'x']]).map((codes, index) => ({
    code: { coding: codes.map((code) => ({ code })) },
    valueQuantity: { value: 100 + index },
  })),
});
