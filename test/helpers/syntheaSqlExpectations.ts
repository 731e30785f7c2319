import type { FhirResource } from '../../shared/fhir/types.js';

/**
 * What the default SQL transformers must hold for a set of FHIR resources (the Synthea set), computed
 * from the FHIR data itself, and the queries that read the same keys back from the tables. `where`
 * narrows each query (e.g. to leave out rows other tests wrote); `$schema` is the caller's schema.
 */
type Json = Record<string, unknown> & { id: string };

export const ofType = (resources: readonly FhirResource[], type: string): Json[] =>
  resources.filter((r) => r.resourceType === type) as Json[];

export const tally = (keys: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
};

export const sorted = (rows: readonly string[]): string[] => [...rows].sort();

/** Patients per gender. */
export const genderCounts = (resources: readonly FhirResource[]): Record<string, number> =>
  tally(ofType(resources, 'Patient').map((p) => String(p.gender)));

/** Observations per patient id (their `subject`). */
export const observationsPerPatient = (resources: readonly FhirResource[]): Record<string, number> =>
  tally(
    ofType(resources, 'Observation').map((o) =>
      String((o.subject as { reference: string }).reference).replace('Patient/', ''),
    ),
  );

/** `id|use|family|given given` per Patient.name element. */
export const patientNameKeys = (resources: readonly FhirResource[]): string[] =>
  ofType(resources, 'Patient').flatMap((p) =>
    ((p.name ?? []) as { use?: string; family?: string; given?: string[] }[]).map(
      (n) => `${p.id}|${n.use ?? ''}|${n.family ?? ''}|${(n.given ?? []).join(' ')}`,
    ),
  );

/** `id|system|value` per Patient.identifier element. */
export const patientIdentifierKeys = (resources: readonly FhirResource[]): string[] =>
  ofType(resources, 'Patient').flatMap((p) =>
    ((p.identifier ?? []) as { system?: string; value?: string }[]).map(
      (i) => `${p.id}|${i.system ?? ''}|${i.value ?? ''}`,
    ),
  );

/** `id|code|value` per Observation.component element. */
export const observationComponentKeys = (resources: readonly FhirResource[]): string[] =>
  ofType(resources, 'Observation').flatMap((o) =>
    (
      (o.component ?? []) as { code: { coding: { code: string }[] }; valueQuantity?: { value: number } }[]
    ).map((c) => `${o.id}|${c.code.coding[0]?.code}|${c.valueQuantity?.value ?? ''}`),
  );

/** The queries reading those keys back, each row one `k`. */
export const SQL_KEY_QUERIES = {
  patientNames: (where = 'true') =>
    `SELECT n.source_resource_id || '|' || coalesce(n.use, '') || '|' || coalesce(n.family, '') || '|' || coalesce(n.given, '') AS k ` +
    `FROM $schema.patient_name n JOIN $schema.patient p ON p.id = n.parent_reference WHERE ${where.replaceAll('source_resource_id', 'n.source_resource_id')}`,
  patientIdentifiers: (where = 'true') =>
    `SELECT source_resource_id || '|' || coalesce(system, '') || '|' || coalesce(value, '') AS k FROM $schema.patient_identifier WHERE ${where}`,
  observationComponents: (where = 'true') =>
    `SELECT source_resource_id || '|' || code || '|' || coalesce(value_quantity::text, '') AS k FROM $schema.observation_component WHERE ${where}`,
} as const;

/** The keys of rows, sorted. */
export const rowKeys = (rows: readonly Record<string, unknown>[]): string[] =>
  sorted(rows.map((row) => String(row.k)));

/** The same, a numeric at the end printed as JavaScript prints it (numeric keeps the decimal as written). */
export const numericRowKeys = (rows: readonly Record<string, unknown>[]): string[] =>
  sorted(rows.map((row) => String(row.k).replace(/\|(-?\d+(\.\d+)?)$/, (_, n: string) => `|${Number(n)}`)));
