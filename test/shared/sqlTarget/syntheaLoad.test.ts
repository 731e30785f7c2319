import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { ensureStructureDefinitions } from '../../../shared/ingest/validateFhirResource.js';
import { applyChanges } from '../../../shared/sqlTarget/applyChanges.js';
import { checkSchema } from '../../../shared/sqlTarget/checkSchema.js';
import { DEFAULT_MAPPING } from '../../../shared/sqlTarget/defaultMapping.js';
import type { ApplyResult, CompiledMapping } from '../../../shared/sqlTarget/types.js';
import { DATABASE_KINDS, startTestDatabase, type TestDatabase } from '../../helpers/sqlDatabases.js';
import { hasSynthea, loadSyntheaResources, SYNTHEA_SKIP_MESSAGE } from '../../helpers/synthea.js';
import {
  genderCounts,
  numericRowKeys,
  observationComponentKeys,
  observationsPerPatient,
  ofType,
  patientIdentifierKeys,
  patientNameKeys,
  rowKeys,
  sorted,
  SQL_KEY_QUERIES,
  tally,
} from '../../helpers/syntheaSqlExpectations.js';

describe.skipIf(!hasSynthea()).each(DATABASE_KINDS)(
  'Default transformers filled from the Synthea set (%s)',
  (kind) => {
    let database: TestDatabase;
    let mapping: CompiledMapping;
    let schema: string;
    let resources: FhirResource[];
    let results: ApplyResult[];
    const query = async (sql: string) =>
      (await database.client.query(sql.replaceAll('$schema', `"${schema}"`))).rows;

    beforeAll(async () => {
      database = await startTestDatabase(kind);
      schema = database.newSchema();
      mapping = await database.prepare(DEFAULT_MAPPING, schema, { foreignKeys: true });
      resources = loadSyntheaResources({ asStored: true });
      results = await applyChanges(
        database.client,
        mapping,
        resources.map((resource) => ({
          operation: 'upsert',
          resourceType: resource.resourceType as string,
          id: resource.id as string,
          version: 1,
          resource,
        })),
        { definitions: ensureStructureDefinitions() },
      );
    }, 300_000);
    afterAll(async () => {
      await database?.stop();
    });

    it('applies every resource of a mapped type without error, and reports the others unmapped', async () => {
      expect(await checkSchema(database.client, mapping)).toEqual([]);
      const mapped = resources.filter((r) => mapping.transformers.has(r.resourceType as string)).length;
      expect(tally(results.map((r) => r.outcome))).toEqual({
        applied: mapped,
        unmapped: resources.length - mapped,
      });
    });

    it('reports per resource the rows it wrote to each table, adding up to what the tables hold', async () => {
      const reported: Record<string, number> = {};
      for (const result of results)
        for (const [table, rows] of Object.entries(result.written))
          reported[table] = (reported[table] ?? 0) + rows;
      const held: Record<string, number> = {};
      for (const table of Object.keys(reported))
        held[table] = Number((await query(`SELECT count(*) AS n FROM $schema."${table}"`))[0]?.n);
      expect(held).toEqual(reported);
      expect(reported.observation_component).toBeGreaterThan(0);
    });

    it('counts patients by gender as the FHIR data says', async () => {
      const rows = await query(`SELECT gender, count(*)::int AS n FROM $schema.patient GROUP BY gender`);
      expect(Object.fromEntries(rows.map((row) => [row.gender, row.n]))).toEqual(genderCounts(resources));
    });

    it('counts observations per patient as the FHIR data says', async () => {
      const rows = await query(
        `SELECT patient_id, count(*)::int AS n FROM $schema.observation GROUP BY patient_id`,
      );
      expect(Object.fromEntries(rows.map((row) => [row.patient_id, row.n]))).toEqual(
        observationsPerPatient(resources),
      );
    });

    it('holds one name row and one identifier row per element, with the values of the FHIR data', async () => {
      expect(rowKeys(await query(SQL_KEY_QUERIES.patientNames()))).toEqual(
        sorted(patientNameKeys(resources)),
      );
      expect(rowKeys(await query(SQL_KEY_QUERIES.patientIdentifiers()))).toEqual(
        sorted(patientIdentifierKeys(resources)),
      );
    });

    it('holds each observation component with its code and value', async () => {
      const components = observationComponentKeys(resources);
      expect(components.length).toBeGreaterThan(0);
      expect(numericRowKeys(await query(SQL_KEY_QUERIES.observationComponents()))).toEqual(
        sorted(components),
      );
    });

    it('keeps the dates and codes of the FHIR data', async () => {
      const patients = ofType(resources, 'Patient');
      const rows = await query(`SELECT id, birth_date FROM $schema.patient`);
      expect(Object.fromEntries(rows.map((row) => [row.id, row.birth_date]))).toEqual(
        Object.fromEntries(patients.map((p) => [p.id, p.birthDate])),
      );
      const conditions = ofType(resources, 'Condition');
      const codes = await query(`SELECT id, code FROM $schema.condition`);
      expect(Object.fromEntries(codes.map((row) => [row.id, row.code]))).toEqual(
        Object.fromEntries(
          conditions.map((c) => [c.id, (c.code as { coding: { code: string }[] }).coding[0]?.code]),
        ),
      );
    });
  },
);

describe.runIf(!hasSynthea())('Default transformers filled from the Synthea set (fixtures absent)', () => {
  it('is skipped because the Synthea fixtures are absent', () => {
    console.warn(SYNTHEA_SKIP_MESSAGE);
    expect(hasSynthea()).toBe(false);
  });
});
