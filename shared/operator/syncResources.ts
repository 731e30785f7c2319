import { FhirClient, type FhirClientOptions } from '../fhirClient/FhirClient.js';
import { isFhirId } from '../fhir/ids.js';
import { jsonShapeProblem } from '../fhir/jsonDepth.js';
import { INGEST_DEFAULTS } from '../ingest/constants.js';
import { INFRASTRUCTURE_TYPES } from '../reconcile/constants.js';
import { searchableTypes } from '../reconcile/planStreams.js';
import type { FhirApiClient } from './FhirApiClient.js';
import { isR4ResourceType, resourcePath } from './resourcePath.js';
import {
  isRefused,
  listFhirFiles,
  readFileRequests,
  sendItems,
  type SendOptions,
  type SendSummary,
  type SendWork,
} from './sendResources.js';
import { parseSyncSource, type SyncSource } from './syncSource.js';

export interface SyncOptions extends SendOptions {
  /** Resource types, in the order they are sent (each type completes before the next starts). */
  readonly resourceTypes?: readonly string[];
  /** `Type/id` keys: only these are sent (not with `resourceTypes`). */
  readonly resourceIds?: readonly string[];
  /** Numeric ids get this prefix, and every reference to them is rewritten. */
  readonly prefixNumericIds?: string;
  /**
   * Synthea output: supporting-data Bundles (hospitals, practitioners) first, and conditional
   * `ifNoneExist` creates turned into PUTs of their resources, with conditional references
   * (`Organization?identifier=...`) in later Bundles resolved to them.
   */
  readonly synthea?: boolean;
  /** smileutil `--upload-bundles-as-transactions`: Bundles from files are sent whole as transactions. */
  readonly bundlesAsTransactions?: boolean;
  /** How the source FHIR server is read: authentication, TLS, response cap, page size. */
  readonly sourceClient?: Omit<FhirClientOptions, 'baseUrl'>;
}

/** What `hlc sync` did: the send summary, plus what it left out of the source on purpose. */
export interface SyncSummary extends SendSummary {
  /** Types the source's CapabilityStatement lists that are not R4 resource types: never searched. */
  readonly ignoredTypes: number;
}

const NUMERIC = /^[0-9]+$/;
const TYPE_NAME = /^[A-Z][A-Za-z]+$/;
const SUPPORTING = /^(hospitalInformation|practitionerInformation)/i;
type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `Type/123` (after any base, before any `/_history/v`) with the numeric id prefixed. Split on `/`
 * rather than matched with a pattern: a reference is source data of any length.
 */
const prefixedReference = (reference: string, prefix: string): string => {
  const parts = reference.split('/');
  const typeIndex =
    parts.length >= 4 && parts[parts.length - 2] === '_history' ? parts.length - 4 : parts.length - 2;
  const type = parts[typeIndex];
  const id = parts[typeIndex + 1];
  if (typeIndex < 0 || type === undefined || id === undefined) return reference;
  if (!TYPE_NAME.test(type) || !NUMERIC.test(id)) return reference;
  parts[typeIndex + 1] = `${prefix}${id}`;
  return parts.join('/');
};

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
      else if (prefix) value[key] = prefixedReference(child, prefix);
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
 * conditional references to it resolve to `Type/id`. Entries without an R4 type or a FHIR id are left
 * for the ingest API to refuse.
 */
const resolveConditionalEntries = (bundle: Json, known: Map<string, string>): void => {
  for (const entry of Array.isArray(bundle.entry) ? bundle.entry : []) {
    if (!isRecord(entry) || !isRecord(entry.request) || !isRecord(entry.resource)) continue;
    const condition = entry.request.ifNoneExist;
    if (typeof condition !== 'string' || entry.request.method !== 'POST') continue;
    const resource = entry.resource;
    const fullUrl = typeof entry.fullUrl === 'string' ? entry.fullUrl : '';
    const id =
      typeof resource.id === 'string'
        ? resource.id
        : fullUrl.startsWith('urn:uuid:')
          ? fullUrl.slice(9)
          : undefined;
    const target = resourcePath(resource.resourceType, id);
    if (id === undefined || 'problem' in target) continue;
    resource.id = id;
    entry.request = { method: 'PUT', url: target.path };
    known.set(`${String(resource.resourceType)}?${condition}`, target.path);
  }
};

/** A file item after its ids were rewritten: its path built again from the new type and id. */
const retarget = (item: SendWork): SendWork => {
  if (isRefused(item) || item.method !== 'PUT' || item.path === '') return item;
  const target = resourcePath(item.body.resourceType, item.body.id);
  return 'problem' in target
    ? { source: item.source, problem: `${target.problem} after --prefix-numeric-ids`, resources: 1 }
    : { ...item, path: target.path };
};

/** A deep or prototype-polluting body is refused before anything walks or copies it. */
const shapeProblem = (value: unknown): string | undefined => {
  const problem = jsonShapeProblem(value, INGEST_DEFAULTS.maxJsonDepth);
  if (!problem) return undefined;
  return problem.kind === 'too-deep'
    ? `nested deeper than ${INGEST_DEFAULTS.maxJsonDepth} levels`
    : 'holds a __proto__, constructor or prototype key';
};

/** Which file items a pass over the files sends (types in order, then Bundles; or ids). */
type FileFilter = (item: SendWork) => boolean;

/** Items of the files, read one file (and one NDJSON line) at a time, transformed and filtered. */
async function* fileItems(
  files: readonly string[],
  options: SyncOptions,
  conditional: Map<string, string>,
  keep: FileFilter,
): AsyncGenerator<SendWork> {
  for (const file of files) {
    for await (const read of readFileRequests(file, options)) {
      let item = read;
      if (!isRefused(item)) {
        const problem = shapeProblem(item.body);
        if (problem) item = { source: item.source, problem, resources: item.resources };
      }
      if (!isRefused(item)) {
        if (options.synthea && item.body.resourceType === 'Bundle')
          resolveConditionalEntries(item.body, conditional);
        rewrite(item.body, options.prefixNumericIds, conditional);
        item = retarget(item);
      }
      if (keep(item)) yield item;
    }
  }
}

/** The passes over the files: each completes before the next starts. */
const fileGroups = async (
  paths: readonly string[],
  options: SyncOptions,
): Promise<(() => AsyncIterable<SendWork>)[]> => {
  const files = await listFhirFiles(paths);
  const conditional = new Map<string, string>();
  const supporting = (file: string) => SUPPORTING.test(file.split(/[\\/]/).pop() ?? '');
  // Synthea: the hospital and practitioner Bundles are delivered before any patient Bundle refers to them.
  const fileSets = options.synthea
    ? [files.filter(supporting), files.filter((file) => !supporting(file))]
    : [files];
  const wanted = new Set(options.resourceIds ?? []);
  const order = options.resourceTypes ?? [];
  const filters: FileFilter[] =
    wanted.size > 0
      ? [(item) => isRefused(item) || wanted.has(item.path)]
      : order.length > 0
        ? [
            ...order.map(
              (type): FileFilter =>
                (item) =>
                  !isRefused(item) && item.body.resourceType === type,
            ),
            // Then the transaction and batch Bundles, whole; refusals are counted once, here.
            (item) => isRefused(item) || item.path === '',
          ]
        : [() => true];
  return fileSets.flatMap((set) => filters.map((keep) => () => fileItems(set, options, conditional, keep)));
};

/** One resource read from the source server as a request, or the reason it cannot be one. */
const serverItem = (resource: unknown, options: SyncOptions, expectedType?: string): SendWork => {
  const record = isRecord(resource) ? resource : {};
  const type = isR4ResourceType(record.resourceType) ? record.resourceType : undefined;
  const source =
    type === undefined
      ? '(resource without an R4 type)'
      : `${type}/${isFhirId(record.id) ? record.id : '(invalid id)'}`;
  if (type === undefined) return { source, problem: 'resourceType is not an R4 resource type', resources: 1 };
  if (expectedType !== undefined && type !== expectedType) {
    return { source, problem: `a ${expectedType} search answered a resource of another type`, resources: 1 };
  }
  if (!isFhirId(record.id)) return { source, problem: `${type} id is not a FHIR id`, resources: 1 };
  const problem = shapeProblem(record);
  if (problem) return { source, problem, resources: 1 };
  const body = structuredClone(record);
  rewrite(body, options.prefixNumericIds, new Map());
  const target = resourcePath(body.resourceType, body.id);
  if ('problem' in target)
    return { source, problem: `${target.problem} after --prefix-numeric-ids`, resources: 1 };
  return { source, method: 'PUT', path: target.path, body, resources: 1 };
};

/** Every page of a search, read one page at a time as the senders ask for items. */
async function* searchItems(
  client: FhirClient,
  search: string,
  options: SyncOptions,
  expectedType?: string,
): AsyncGenerator<SendWork> {
  let url: string | undefined = client.resolveSearchUrl(search);
  while (url) {
    const page = await client.searchPage(url, { includes: expectedType === undefined });
    for (const resource of page.resources) yield serverItem(resource, options, expectedType);
    url = page.nextUrl;
  }
}

/** The listed ids, read one at a time. */
async function* readItems(
  client: FhirClient,
  keys: readonly string[],
  options: SyncOptions,
): AsyncGenerator<SendWork> {
  for (const key of keys) {
    const [type, id] = key.split('/');
    const resource = await client.read(type ?? '', id ?? '');
    if (resource === undefined) {
      yield { source: key, problem: 'not found on the source server', resources: 1 };
    } else {
      yield serverItem(resource, options, type);
    }
  }
}

/** The groups of a server source: each type (or the search, or the ids), one after the other. */
const serverGroups = async (
  source: Extract<SyncSource, { kind: 'server' }>,
  options: SyncOptions,
): Promise<{ groups: (() => AsyncIterable<SendWork>)[]; ignoredTypes: number }> => {
  const client = new FhirClient({ ...options.sourceClient, baseUrl: source.baseUrl });
  if (source.search !== undefined) {
    const search = source.search;
    return { groups: [() => searchItems(client, search, options)], ignoredTypes: 0 };
  }
  if (options.resourceIds?.length) {
    const keys = options.resourceIds;
    return { groups: [() => readItems(client, keys, options)], ignoredTypes: 0 };
  }
  let types = options.resourceTypes ?? [];
  let ignoredTypes = 0;
  if (types.length === 0) {
    const listed = searchableTypes(await client.capabilityStatement());
    // A type name from the source becomes a URL path: only R4 types are ever searched.
    types = [...new Set(listed.filter(isR4ResourceType))].filter((type) => !INFRASTRUCTURE_TYPES.has(type));
    ignoredTypes = listed.filter((type) => !isR4ResourceType(type)).length;
  }
  return { groups: types.map((type) => () => searchItems(client, `${type}?`, options, type)), ignoredTypes };
};

/** Every `--type` and `--resource-id` is checked before anything is read: it becomes a path. */
const checkSelection = (options: SyncOptions): void => {
  if (options.resourceTypes?.length && options.resourceIds?.length)
    throw new Error('resource types and resource ids cannot be combined');
  for (const type of options.resourceTypes ?? []) {
    if (!isR4ResourceType(type)) throw new Error('a resource type given is not an R4 resource type');
  }
  for (const key of options.resourceIds ?? []) {
    const [type, id, ...rest] = key.split('/');
    if (rest.length > 0 || 'problem' in resourcePath(type, id ?? '')) {
      throw new Error('a resource id given is not Type/id with an R4 type and a FHIR id');
    }
  }
};

const addSummaries = (all: SendSummary, next: SendSummary): SendSummary => ({
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
});

/**
 * `hlc sync`: copies from a FHIR server (`http(s)://` base URL, or a search URL such as
 * `https://ehr.example.org/fhir/Patient?name=x`) or from files and folders (paths or `file:` URLs;
 * JSON, NDJSON, Bundles) into the connector's ingest API, like smileutil synchronize-fhir-servers' COPY
 * mode: types in order (each type completes before the next) or ids, numeric ids prefixed with their
 * references, `parallel` requests in flight, `retries` on 429/502/503/504, and a Synthea mode.
 *
 * The source is streamed: a page (or an NDJSON line) is read only when a sender is free, so memory
 * stays bounded by the page size and `parallel`, whatever the source holds. Every type and id from the
 * source is checked (R4 type, FHIR id) before it becomes a path; a bad one is counted as failed.
 *
 * @example
 * await syncResources(client, ['https://ehr.example.org/fhir'], { resourceTypes: ['Patient', 'Encounter'], prefixNumericIds: 'EHR' });
 */
export const syncResources = async (
  client: FhirApiClient,
  sources: readonly string[],
  options: SyncOptions = {},
): Promise<SyncSummary> => {
  checkSelection(options);
  const source = parseSyncSource(sources);
  const { groups, ignoredTypes } =
    source.kind === 'server'
      ? await serverGroups(source, options)
      : { groups: await fileGroups(source.paths, options), ignoredTypes: 0 };
  let summary: SendSummary = {
    requests: 0,
    resources: 0,
    succeeded: 0,
    failed: 0,
    byStatus: {},
    failures: [],
    elapsedMs: 0,
  };
  for (const group of groups) summary = addSummaries(summary, await sendItems(client, group(), options));
  return { ...summary, ignoredTypes };
};
