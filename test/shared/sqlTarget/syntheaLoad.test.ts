import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { ensureStructureDefinitions } from '../../../shared/ingest/validateFhirResource.js';
import { applyChanges } from '../../../shared/sqlTarget/applyChanges.js';
import { checkSchema } from '../../../shared/sqlTarget/checkSchema.js';
import { DEFAULT_MAPPING } from '../../../shared/sqlTarget/defaultMapping.js';
import type { ApplyResult, CompiledMapping } from '../../../shared/sqlTarget/types.js';
import { DATABASE_KINDS, startTestDatabase, type TestDatabase } from '../../helpers/sqlDatabases.js';
import { hasSynthea, loadSyntheaResources, SYNTHEA_SKIP_MESSAGE } from '../../helpers/synthea.js';

type Json = Record<string, unknown> & { id: string };
const ofType = (resources: readonly FhirResource[], type: string): Json[] =>
  resources.filter((r) => r.resourceType === type) as Json[];
const tally = (keys: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
};
const sorted = (rows: readonly string[]): string[] => [...rows].sort();

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
      const expected = tally(ofType(resources, 'Patient').map((p) => String(p.gender)));
      const rows = await query(`SELECT gender, count(*)::int AS n FROM $schema.patient GROUP BY gender`);
      expect(Object.fromEntries(rows.map((row) => [row.gender, row.n]))).toEqual(expected);
    });

    it('counts observations per patient as the FHIR data says', async () => {
      const expected = tally(
        ofType(resources, 'Observation').map((o) =>
          String((o.subject as { reference: string }).reference).replace('Patient/', ''),
        ),
      );
      const rows = await query(
        `SELECT patient_id, count(*)::int AS n FROM $schema.observation GROUP BY patient_id`,
      );
      expect(Object.fromEntries(rows.map((row) => [row.patient_id, row.n]))).toEqual(expected);
    });

    it('holds one name row and one identifier row per element, with the values of the FHIR data', async () => {
      const patients = ofType(resources, 'Patient');
      const names = patients.flatMap((p) =>
        (p.name as { use?: string; family?: string; given?: string[] }[]).map(
          (n) => `${p.id}|${n.use ?? ''}|${n.family ?? ''}|${(n.given ?? []).join(' ')}`,
        ),
      );
      const nameRows = await query(
        `SELECT n.source_resource_id || '|' || coalesce(n.use, '') || '|' || coalesce(n.family, '') || '|' || coalesce(n.given, '') AS k ` +
          `FROM $schema.patient_name n JOIN $schema.patient p ON p.id = n.parent_reference`,
      );
      expect(sorted(nameRows.map((row) => String(row.k)))).toEqual(sorted(names));
      const identifiers = patients.flatMap((p) =>
        (p.identifier as { system?: string; value?: string }[]).map(
          (i) => `${p.id}|${i.system ?? ''}|${i.value ?? ''}`,
        ),
      );
      const identifierRows = await query(
        `SELECT source_resource_id || '|' || coalesce(system, '') || '|' || coalesce(value, '') AS k FROM $schema.patient_identifier`,
      );
      expect(sorted(identifierRows.map((row) => String(row.k)))).toEqual(sorted(identifiers));
    });

    it('holds each observation component with its code and value', async () => {
      const components = ofType(resources, 'Observation').flatMap((o) =>
        (
          (o.component ?? []) as { code: { coding: { code: string }[] }; valueQuantity?: { value: number } }[]
        ).map((c) => `${o.id}|${c.code.coding[0]?.code}|${c.valueQuantity?.value ?? ''}`),
      );
      expect(components.length).toBeGreaterThan(0);
      const rows = await query(
        `SELECT source_resource_id || '|' || code || '|' || coalesce(value_quantity::text, '') AS k FROM $schema.observation_component`,
      );
      // numeric keeps the decimal as written; JavaScript prints the same number
      expect(
        sorted(
          rows.map((row) => String(row.k).replace(/\|(-?\d+(\.\d+)?)$/, (_, n: string) => `|${Number(n)}`)),
        ),
      ).toEqual(sorted(components));
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
