import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { FhirStore } from './fhirStore.js';
import { parseJson } from '../../../shared/fhir/parseJson.js';

export interface SeedResult {
  /** Resources written (new resources and changed versions). */
  written: number;
  /** Resources skipped because an identical version was already stored (e.g. a shared Organization). */
  unchanged: number;
  byType: Record<string, number>;
}

export interface SeedOptions {
  /** Keep `meta.versionId`/`meta.lastUpdated` from the input (default true); otherwise `1` and now. */
  preserveVersions?: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Replaces `urn:uuid:` references with `Type/id` in place, using the bundle's fullUrl map. */
const rewriteReferences = (value: Json, targets: ReadonlyMap<string, string>): void => {
  if (Array.isArray(value)) {
    for (const item of value) rewriteReferences(item, targets);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'reference' && typeof child === 'string' && child.startsWith('urn:')) {
      const target = targets.get(child);
      if (target) value[key] = target;
    } else if (typeof child === 'object' && child !== null) {
      rewriteReferences(child, targets);
    }
  }
};

/**
 * The resources of a transaction/batch/collection Bundle as a server would store them: entries
 * without an id get the uuid of their `urn:uuid:` fullUrl, and `urn:uuid:` references become
 * `Type/id` (Synthea writes bundles this way). `knownTargets` resolves references across bundles.
 */
export const resourcesOfBundle = (
  bundle: Bundle,
  knownTargets: Map<string, string> = new Map(),
): Resource[] => {
  const resources: Resource[] = [];
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource;
    if (!resource) continue;
    const fullUrl = entry.fullUrl;
    const id =
      resource.id ?? (fullUrl?.startsWith('urn:uuid:') ? fullUrl.slice('urn:uuid:'.length) : undefined);
    if (!id) continue;
    resource.id = id;
    if (fullUrl) knownTargets.set(fullUrl, `${resource.resourceType}/${id}`);
    resources.push(resource);
  }
  for (const resource of resources) rewriteReferences(resource as unknown as Json, knownTargets);
  return resources;
};

/**
 * Writes resources straight into the store (no HTTP), keeping their versions by default. A resource
 * already stored with identical content is skipped; changed content becomes a new version.
 */
export const seedResources = (
  store: FhirStore,
  resources: Iterable<Resource>,
  options: SeedOptions = {},
): SeedResult => {
  const preserve = options.preserveVersions ?? true;
  const result: SeedResult = { written: 0, unchanged: 0, byType: {} };
  for (const resource of resources) {
    const id = resource.id;
    if (!id) continue;
    const existing = store.current(resource.resourceType, id);
    if (existing) {
      const { meta: _existingMeta, ...existingBody } = existing;
      const { meta: _incomingMeta, ...incomingBody } = resource;
      if (JSON.stringify(existingBody) === JSON.stringify(incomingBody)) {
        result.unchanged += 1;
        continue;
      }
      store.put({ ...resource, id });
    } else {
      store.put(
        { ...resource, id },
        {
          versionId: (preserve ? resource.meta?.versionId : undefined) ?? '1',
          ...(preserve && resource.meta?.lastUpdated ? { lastUpdated: resource.meta.lastUpdated } : {}),
        },
      );
    }
    result.written += 1;
    result.byType[resource.resourceType] = (result.byType[resource.resourceType] ?? 0) + 1;
  }
  return result;
};

const merge = (into: SeedResult, from: SeedResult): void => {
  into.written += from.written;
  into.unchanged += from.unchanged;
  for (const [type, count] of Object.entries(from.byType))
    into.byType[type] = (into.byType[type] ?? 0) + count;
};

/**
 * Seeds the store from a folder: `*.json` files holding a Bundle (entries are loaded, references
 * resolved) or a single resource, and `*.ndjson` files with one resource per line. Files are read
 * one at a time in name order.
 */
export const seedFromFolder = async (
  store: FhirStore,
  folder: string,
  options: SeedOptions = {},
): Promise<SeedResult> => {
  const result: SeedResult = { written: 0, unchanged: 0, byType: {} };
  const targets = new Map<string, string>();
  const files = (await readdir(folder)).filter((name) => /\.(nd)?json$/.test(name)).sort();
  for (const name of files) {
    const text = await readFile(join(folder, name), 'utf8');
    let resources: Resource[];
    if (name.endsWith('.ndjson')) {
      resources = text
        .split('\n')
        .map((line, index) => ({ line, source: `${name}:${index + 1}` }))
        .filter(({ line }) => line.trim() !== '')
        .map(({ line, source }) => parseJson(line, source) as Resource);
    } else {
      const parsed = parseJson(text, name) as Resource;
      resources = parsed.resourceType === 'Bundle' ? resourcesOfBundle(parsed, targets) : [parsed];
    }
    merge(result, seedResources(store, resources, options));
  }
  return result;
};
