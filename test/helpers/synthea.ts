import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FhirResource } from '../../shared/fhir/types.js';

/**
 * The Synthea R4 sample Bundles next to the repository (absent in a user's fresh clone);
 * HLC_SYNTHEA_DIR points elsewhere (e.g. from a linked worktree).
 */
export const SYNTHEA_DIR =
  process.env.HLC_SYNTHEA_DIR ??
  resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/synthea-r4');

/** False also under HLC_TEST_SKIP_SYNTHEA=1 (the mutation run: one corpus pass per mutant is too slow). */
export const hasSynthea = (): boolean =>
  process.env.HLC_TEST_SKIP_SYNTHEA !== '1' &&
  existsSync(SYNTHEA_DIR) &&
  readdirSync(SYNTHEA_DIR).some((file) => file.endsWith('.json'));

/** A message for `describe.skipIf` / console when the fixtures are absent. */
export const SYNTHEA_SKIP_MESSAGE = `Synthea fixtures not found at ${SYNTHEA_DIR}: the tests that read them are skipped`;

const rewriteReferences = (value: unknown, byFullUrl: ReadonlyMap<string, string>): unknown => {
  if (Array.isArray(value)) return value.map((item) => rewriteReferences(item, byFullUrl));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      key === 'reference' && typeof item === 'string' && byFullUrl.has(item)
        ? byFullUrl.get(item)
        : rewriteReferences(item, byFullUrl);
  }
  return out;
};

/**
 * The resources of every Synthea transaction Bundle. With `asStored`, `urn:uuid:` references are
 * rewritten to `Type/id`, as the system of record stores them after processing the transaction.
 */
export const loadSyntheaResources = (options: { asStored?: boolean } = {}): FhirResource[] => {
  const resources: FhirResource[] = [];
  for (const file of readdirSync(SYNTHEA_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const bundle = JSON.parse(readFileSync(join(SYNTHEA_DIR, file), 'utf8')) as {
      entry?: { fullUrl?: string; resource?: FhirResource }[];
    };
    const entries = bundle.entry ?? [];
    const byFullUrl = new Map<string, string>();
    for (const entry of entries) {
      if (entry.fullUrl && entry.resource?.id)
        byFullUrl.set(entry.fullUrl, `${entry.resource.resourceType}/${entry.resource.id}`);
    }
    for (const entry of entries) {
      if (!entry.resource) continue;
      resources.push(
        options.asStored ? (rewriteReferences(entry.resource, byFullUrl) as FhirResource) : entry.resource,
      );
    }
  }
  return resources;
};
