import { FhirClient } from '../fhirClient/FhirClient.js';
import type { FhirResource } from '../fhir/types.js';
import { INFRASTRUCTURE_TYPES } from '../reconcile/constants.js';
import { searchableTypes } from '../reconcile/planStreams.js';
import type { FhirApiClient } from './FhirApiClient.js';
import { listFhirFiles, readRequests, sendItems, type SendItem, type SendSummary } from './sendResources.js';

export interface SyncOptions {
  /** Resource types, in the order they are sent (each type completes before the next starts). */
  readonly resourceTypes?: readonly string[];
  /** `Type/id` keys: only these are sent (not with `resourceTypes`). */
  readonly resourceIds?: readonly string[];
  /** Numeric ids get this prefix, and every reference to them is rewritten. */
  readonly prefixNumericIds?: string;
  readonly parallel?: number;
  readonly retries?: number;
  /**
   * Synthea output: supporting-data Bundles (hospitals, practitioners) first, and conditional
   * `ifNoneExist` creates turned into PUTs of their resources, with conditional references
   * (`Organization?identifier=...`) in later Bundles resolved to them.
   */
  readonly synthea?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

const NUMERIC = /^[0-9]+$/;
const SUPPORTING = /^(hospitalInformation|practitionerInformation)/i;
type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Rewrites ids and references in place: `prefix` on numeric ids, `resolve` on conditional references. */
const rewrite = (value: unknown, prefix: string | undefined, resolve: ReadonlyMap<string, string>): void => {
  if (Array.isArray(value)) {
    for (const item of value) rewrite(item, prefix, resolve);
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'reference' && typeof child === 'string') {
      const resolved = resolve.get(child);
      if (resolved) value[key] = resolved;
      else if (prefix) {
        const match = /^((?:.*\/)?[A-Z][A-Za-z]+)\/([0-9]+)((?:\/_history\/.*)?)$/.exec(child);
        if (match) value[key] = `${match[1]}/${prefix}${match[2]}${match[3]}`;
      }
    } else if (key === 'id' && typeof child === 'string' && typeof value.resourceType === 'string') {
      if (prefix && NUMERIC.test(child)) value[key] = `${prefix}${child}`;
    } else if (typeof child === 'object' && child !== null) {
      rewrite(child, prefix, resolve);
    }
  }
};

/**
 * Synthea's conditional entries: a POST with `ifNoneExist` becomes a PUT of the resource under its id
 * (or its `urn:uuid` fullUrl's uuid), and its search (`Type?identifier=...`) is remembered, so later
 * conditional references to it resolve to `Type/id`.
 */
const resolveConditionalEntries = (bundle: Json, known: Map<string, string>): void => {
  for (const entry of Array.isArray(bundle.entry) ? bundle.entry : []) {
    if (!isRecord(entry) || !isRecord(entry.request) || !isRecord(entry.resource)) continue;
    const condition = entry.request.ifNoneExist;
    if (typeof condition !== 'string' || entry.request.method !== 'POST') continue;
    const resource = entry.resource;
    const type = String(resource.resourceType);
    const fullUrl = typeof entry.fullUrl === 'string' ? entry.fullUrl : '';
    const id =
      typeof resource.id === 'string'
        ? resource.id
        : fullUrl.startsWith('urn:uuid:')
          ? fullUrl.slice(9)
          : undefined;
    if (!id) continue;
    resource.id = id;
    entry.request = { method: 'PUT', url: `${type}/${id}` };
    known.set(`${type}?${condition}`, `${type}/${id}`);
  }
};

/** Items of the folder source, transformed and filtered, in the order they are to be sent. */
const folderItems = async (paths: readonly string[], options: SyncOptions): Promise<SendItem[]> => {
  let files = await listFhirFiles(paths);
  if (options.synthea) {
    files = [
      ...files.filter((file) => SUPPORTING.test(file.split(/[\\/]/).pop() ?? '')),
      ...files.filter((file) => !SUPPORTING.test(file.split(/[\\/]/).pop() ?? '')),
    ];
  }
  const conditional = new Map<string, string>();
  const items: SendItem[] = [];
  for (const file of files) {
    for (const item of await readRequests(file)) {
      if (options.synthea && item.body.resourceType === 'Bundle')
        resolveConditionalEntries(item.body, conditional);
      rewrite(item.body, options.prefixNumericIds, conditional);
      items.push(retarget(item));
    }
  }
  return items;
};

/** A single-resource request's path after its id was rewritten. */
const retarget = (item: SendItem): SendItem =>
  item.method === 'PUT' && item.path !== '' && typeof item.body.id === 'string'
    ? { ...item, path: `${String(item.body.resourceType)}/${item.body.id}` }
    : item;

/** Items read from a FHIR server: every page of each type, or each listed id. */
const serverItems = async (baseUrl: string, options: SyncOptions): Promise<SendItem[]> => {
  const source = new FhirClient({ baseUrl });
  const resources: FhirResource[] = [];
  if (options.resourceIds?.length) {
    for (const key of options.resourceIds) {
      const [type, id] = key.split('/') as [string, string];
      const resource = await source.read(type, id);
      if (resource) resources.push(resource);
    }
  } else {
    const types = options.resourceTypes?.length
      ? options.resourceTypes
      : searchableTypes(await source.capabilityStatement()).filter((type) => !INFRASTRUCTURE_TYPES.has(type));
    for (const type of types) {
      let url: string | undefined = source.resolveSearchUrl(`${type}?`);
      while (url) {
        const page = await source.searchPage(url);
        resources.push(...page.resources.filter((resource) => resource.resourceType === type));
        url = page.nextUrl;
      }
    }
  }
  return resources.map((resource) => {
    const body = structuredClone(resource) as Json;
    rewrite(body, options.prefixNumericIds, new Map());
    return {
      source: `${resource.resourceType}/${resource.id}`,
      method: 'PUT',
      path: `${String(body.resourceType)}/${String(body.id)}`,
      body,
      resources: 1,
    };
  });
};

/** The type order of an item (its resource type, or a Bundle's). */
const typeOf = (item: SendItem): string => String(item.body.resourceType);

/**
 * `hlc sync`: copies from a FHIR server (`http(s)://` base URL) or from files and folders (JSON,
 * NDJSON, Bundles) into the connector's ingest API, like smileutil synchronize-fhir-servers' COPY
 * mode: types in order (each type completes before the next) or ids, numeric ids prefixed with their
 * references, `parallel` requests in flight, `retries` on 429/502/503/504, and a Synthea mode.
 *
 * @example
 * await syncResources(client, ['https://ehr.example.org/fhir'], { resourceTypes: ['Patient', 'Encounter'], prefixNumericIds: 'EHR' });
 */
export const syncResources = async (
  client: FhirApiClient,
  sources: readonly string[],
  options: SyncOptions = {},
): Promise<SendSummary> => {
  if (options.resourceTypes?.length && options.resourceIds?.length)
    throw new Error('resource types and resource ids cannot be combined');
  const fromServer = sources.length === 1 && /^https?:\/\//.test(sources[0] as string);
  let items = fromServer
    ? await serverItems(sources[0] as string, options)
    : await folderItems(sources, options);
  if (!fromServer && options.resourceIds?.length) {
    const wanted = new Set(options.resourceIds);
    items = items.filter((item) => item.path !== '' && wanted.has(item.path));
  }
  const order = options.resourceTypes ?? [];
  // Types in order, each complete before the next; transaction/batch Bundles are sent whole, last.
  const groups: SendItem[][] =
    order.length > 0
      ? [
          ...order.map((type) => items.filter((item) => typeOf(item) === type)),
          items.filter((item) => item.path === ''),
        ]
      : [items];
  const summaries: SendSummary[] = [];
  for (const group of groups) summaries.push(await sendItems(client, group, options));
  return summaries.reduce(
    (all, next) => ({
      requests: all.requests + next.requests,
      resources: all.resources + next.resources,
      succeeded: all.succeeded + next.succeeded,
      failed: all.failed + next.failed,
      byStatus: Object.fromEntries(
        [...new Set([...Object.keys(all.byStatus), ...Object.keys(next.byStatus)])].map((status) => [
          status,
          (all.byStatus[status] ?? 0) + (next.byStatus[status] ?? 0),
        ]),
      ),
      failures: [...all.failures, ...next.failures],
      elapsedMs: all.elapsedMs + next.elapsedMs,
    }),
    { requests: 0, resources: 0, succeeded: 0, failed: 0, byStatus: {}, failures: [], elapsedMs: 0 },
  );
};
