import { randomUUID } from 'node:crypto';
import {
  Operator,
  evalFhirPath,
  getSearchParameter,
  isResourceType,
  matchesSearchRequest,
  parseSearchRequest,
} from '@medplum/core';
import type { Filter, SearchRequest } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest, gone, notFound, outcome } from '../../../shared/fhir/outcomes.js';
import { ensureFhirDefinitions } from './fhirDefinitions.js';

/** One entry of a resource's history; `resource` is undefined for a deletion. */
export interface StoredVersion {
  readonly versionId: string;
  readonly lastUpdated: string;
  readonly resource: Resource | undefined;
}

interface Entry {
  current: Resource | undefined;
  history: StoredVersion[];
  /** Position in the type's creation order (see `TypeTable.order`). */
  position: number;
}

interface TypeTable {
  entries: Map<string, Entry>;
  /** Ids in order of first creation; a re-created id keeps its slot, so this grows with ids, not writes. */
  order: string[];
  live: number;
}

/** Versions kept per resource when not configured: HealthLake keeps all; a stand-in that runs for days cannot. */
export const DEFAULT_MAX_VERSIONS_PER_RESOURCE = 100;

export interface FhirStoreOptions {
  /**
   * Newest versions kept in each resource's history (deletions included); older ones are forgotten
   * (a vread of one answers 404), so the store grows with the resources it holds, not with the writes.
   * @default DEFAULT_MAX_VERSIONS_PER_RESOURCE (100)
   */
  readonly maxVersionsPerResource?: number;
  /** Called after every stored version (a write or a deletion), e.g. to journal it to disk. */
  readonly onVersion?: (change: StoredChange) => void;
}

/** One version as the store recorded it: `resource` undefined for a deletion. */
export interface StoredChange extends StoredVersion {
  readonly resourceType: string;
  readonly id: string;
}

export interface SearchPage {
  resources: Resource[];
  /** Matches over all pages: always without filters; with filters on a lone first page or with `_total=accurate`. */
  total: number | undefined;
  /** Opaque continuation for the next page, undefined on the last page. */
  next: { cursor: string } | { offset: number } | undefined;
  /** Resources the page's matches reference through `_include` (each once, none of the matches). */
  included?: Resource[];
}

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 1000;
/** Paging and result parameters handled here rather than by Medplum's matcher. */
const CONTROL_PARAMETERS = new Set([
  '_count',
  '_cursor',
  '_offset',
  '_total',
  '_sort',
  '_format',
  '_pretty',
  '_elements',
  '_include',
]);
const UNSUPPORTED_PARAMETERS = new Set(['_revinclude', '_has', '_summary', '_contained']);
/** A test a search applies beyond Medplum's filters (chains and `_has`, which read other resources). */
type ResourceTest = (resource: Resource) => boolean;
/** A `Type/id` reference. */
const RELATIVE_REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;
/** Elements a `_elements` subset always keeps (FHIR R4 search 3.1.1.5.9). */
const MANDATORY_ELEMENTS = ['resourceType', 'id', 'meta'];
const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

const nowIso = () => new Date().toISOString();

const single = (query: Readonly<Record<string, readonly string[]>>, name: string): string | undefined => {
  const values = query[name];
  if (values && values.length > 1)
    throw new OperationOutcomeError(badRequest(`Repeated parameter ${name}`, name));
  return values?.[0];
};

const nonNegativeInt = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,9}$/.test(value)) throw new OperationOutcomeError(badRequest(`Invalid ${name}`, name));
  return Number(value);
};

/**
 * An in-memory FHIR R4 resource store with version history (the newest `maxVersionsPerResource` of
 * each resource), Medplum's search semantics (`parseSearchRequest` + `matchesSearchRequest`) and
 * stable cursor paging in order of first creation.
 *
 * Medplum's `MemoryRepository` was the first choice; it is not used because its `readHistory`
 * reverses the stored history in place, deletes leave no history entry, and `search` deep-clones
 * every match before slicing a page (quadratic when paging through 100k resources).
 *
 * Versions: by default each write gets the next integer versionId (HealthLake and HAPI behaviour);
 * a write may instead carry its own versionId/lastUpdated (seeding a source server).
 */
export class FhirStore {
  private readonly tables = new Map<string, TypeTable>();
  private readonly maxVersions: number;
  private readonly onVersion: ((change: StoredChange) => void) | undefined;

  public constructor(options: FhirStoreOptions = {}) {
    ensureFhirDefinitions();
    this.maxVersions = Math.max(1, options.maxVersionsPerResource ?? DEFAULT_MAX_VERSIONS_PER_RESOURCE);
    this.onVersion = options.onVersion;
  }

  /** Whether `type` is an R4 resource type. */
  public static isResourceType(type: string): boolean {
    ensureFhirDefinitions();
    return isResourceType(type);
  }

  /**
   * Update-as-create: stores `resource` as the newest version of `{resourceType}/{id}`.
   * The resource is copied; `meta.versionId`/`meta.lastUpdated` are assigned unless given in `options`.
   */
  public put(
    resource: Resource & { id: string },
    options: { versionId?: string; lastUpdated?: string } = {},
  ): { created: boolean; resource: Resource } {
    const table = this.table(resource.resourceType);
    let entry = table.entries.get(resource.id);
    const created = entry?.current === undefined;
    if (!entry) {
      entry = { current: undefined, history: [], position: -1 };
      table.entries.set(resource.id, entry);
    }
    if (created) {
      if (entry.position < 0) {
        entry.position = table.order.length;
        table.order.push(resource.id);
      }
      table.live += 1;
    }
    const versionId = options.versionId ?? this.nextVersion(entry);
    const lastUpdated = options.lastUpdated ?? nowIso();
    const stored = structuredClone(resource) as Resource;
    stored.meta = { ...stored.meta, versionId, lastUpdated };
    entry.current = stored;
    this.addVersion(resource.resourceType, resource.id, entry, { versionId, lastUpdated, resource: stored });
    return { created, resource: stored };
  }

  /** Create with a server-assigned id (POST). */
  public create(resource: Resource): Resource {
    return this.put({ ...resource, id: randomUUID() }).resource;
  }

  /**
   * Deletes the current version; false when there was none (never created, or already deleted). The
   * deletion gets the next versionId and now, unless `options` gives them (replaying a journal).
   */
  public delete(
    resourceType: string,
    id: string,
    options: { versionId?: string; lastUpdated?: string } = {},
  ): boolean {
    const table = this.tables.get(resourceType);
    const entry = table?.entries.get(id);
    if (!table || !entry?.current) return false;
    entry.current = undefined;
    this.addVersion(resourceType, id, entry, {
      versionId: options.versionId ?? this.nextVersion(entry),
      lastUpdated: options.lastUpdated ?? nowIso(),
      resource: undefined,
    });
    table.live -= 1;
    return true;
  }

  /** The current version; throws 404 when unknown and 410 when deleted. The result must not be mutated. */
  public read(resourceType: string, id: string): Resource {
    const entry = this.tables.get(resourceType)?.entries.get(id);
    if (!entry) throw new OperationOutcomeError(notFound(`Resource ${resourceType}/${id} is not known`));
    if (!entry.current) throw new OperationOutcomeError(gone(`Resource ${resourceType}/${id} was deleted`));
    return entry.current;
  }

  /** One version; throws 404 when unknown and 410 when that version is a deletion. */
  public vread(resourceType: string, id: string, versionId: string): Resource {
    const version = this.history(resourceType, id).find((v) => v.versionId === versionId);
    if (!version)
      throw new OperationOutcomeError(notFound(`Version ${versionId} of ${resourceType}/${id} is not known`));
    if (!version.resource) throw new OperationOutcomeError(gone(`Version ${versionId} is a deletion`));
    return version.resource;
  }

  /** Every version, newest first (deletions included); throws 404 when the resource never existed. */
  public history(resourceType: string, id: string): StoredVersion[] {
    const entry = this.tables.get(resourceType)?.entries.get(id);
    if (!entry) throw new OperationOutcomeError(notFound(`Resource ${resourceType}/${id} is not known`));
    return [...entry.history].reverse();
  }

  /**
   * Type-level history (`Type/_history?_since=`): every version of every resource of the type changed
   * at or after `since` (deletions included), newest first, with the resource's id; `offset`/`count`
   * page through it.
   */
  public typeHistory(
    resourceType: string,
    options: { since?: string; offset: number; count: number },
  ): { versions: (StoredVersion & { id: string })[]; more: boolean } {
    const since = options.since === undefined ? undefined : Date.parse(options.since);
    const versions: (StoredVersion & { id: string })[] = [];
    for (const [id, entry] of this.tables.get(resourceType)?.entries ?? []) {
      for (const version of entry.history) {
        if (since === undefined || Date.parse(version.lastUpdated) >= since)
          versions.push({ ...version, id });
      }
    }
    versions.sort((a, b) => (a.lastUpdated < b.lastUpdated ? 1 : a.lastUpdated > b.lastUpdated ? -1 : 0));
    return {
      versions: versions.slice(options.offset, options.offset + options.count),
      more: versions.length > options.offset + options.count,
    };
  }

  /** A copy of the current version, or undefined (for tests). */
  public current<T = Resource>(resourceType: string, id: string): T | undefined {
    const current = this.tables.get(resourceType)?.entries.get(id)?.current;
    return current === undefined ? undefined : (structuredClone(current) as T);
  }

  /** What the store holds: resources (deleted ones included), versions kept, and creation-order slots. */
  public get footprint(): { readonly resources: number; readonly versions: number; readonly slots: number } {
    let resources = 0;
    let versions = 0;
    let slots = 0;
    for (const table of this.tables.values()) {
      resources += table.entries.size;
      slots += table.order.length;
      for (const entry of table.entries.values()) versions += entry.history.length;
    }
    return { resources, versions, slots };
  }

  /** Number of live (not deleted) resources, of one type or all. */
  public count(resourceType?: string): number {
    if (resourceType !== undefined) return this.tables.get(resourceType)?.live ?? 0;
    let total = 0;
    for (const table of this.tables.values()) total += table.live;
    return total;
  }

  /** Resource types that have at least one live resource. */
  public resourceTypes(): string[] {
    return [...this.tables].filter(([, table]) => table.live > 0).map(([type]) => type);
  }

  /**
   * One page of a type-level search. `query` holds the raw parameters; `_count` (default 20, at most
   * 1000) sizes the page, `_cursor` continues in creation order, `_sort` switches to offset paging.
   * `_include` (`Type:param[:target]` or `*`, not `:iterate`) adds the referenced resources as `included`.
   * Chains (`subject.identifier=`, `subject:Patient.name=`, several levels) and reverse chains
   * (`_has:Observation:patient:code=`) are evaluated over the store, as a FHIR server does. Unknown
   * parameters, `_revinclude` and a bare `_has` are rejected with 400 rather than ignored.
   */
  public search(resourceType: string, query: Readonly<Record<string, readonly string[]>>): SearchPage {
    const found = this.searchFull(resourceType, query);
    const page = query._include
      ? { ...found, included: this.includes(resourceType, found.resources, query._include) }
      : found;
    const elements = query._elements;
    if (elements === undefined) return page;
    const kept = new Set([...MANDATORY_ELEMENTS, ...elements.flatMap((value) => value.split(','))]);
    return { ...page, resources: page.resources.map((resource) => subset(resource, kept)) };
  }

  private searchFull(resourceType: string, query: Readonly<Record<string, readonly string[]>>): SearchPage {
    const pageSize = Math.min(
      nonNegativeInt(single(query, '_count'), '_count') ?? DEFAULT_PAGE_SIZE,
      MAX_PAGE_SIZE,
    );
    const cursor = nonNegativeInt(single(query, '_cursor'), '_cursor');
    const offset = nonNegativeInt(single(query, '_offset'), '_offset');
    const { request, tests } = this.compileQuery(resourceType, query);
    const table = this.tables.get(resourceType);
    if (!table) return { resources: [], total: 0, next: undefined };
    const matchesAll = (request.filters ?? []).length === 0 && tests.length === 0;
    const ids = idsOnly(request);
    if (ids) {
      // `_id=a,b,c` (reconcile's look-ups, the deliverer's checks of chained criteria): read the ids
      // instead of scanning the type, then apply any chain.
      const found = ids.flatMap((id) => {
        const current = table.entries.get(id)?.current;
        return current && tests.every((test) => test(current)) ? [current] : [];
      });
      const start = offset ?? 0;
      const end = start + pageSize;
      return {
        resources: found.slice(start, end),
        total: found.length,
        next: end < found.length ? { offset: end } : undefined,
      };
    }
    const isMatch = (resource: Resource) =>
      matchesAll || (matchesSearchRequest(resource, request) && tests.every((test) => test(resource)));

    if (request.sortRules?.length) {
      const all = this.live(table).filter(isMatch).sort(comparator(request.sortRules));
      const start = offset ?? 0;
      const end = start + pageSize;
      return {
        resources: all.slice(start, end),
        total: all.length,
        next: end < all.length ? { offset: end } : undefined,
      };
    }

    // `_count=0` asks for the total only.
    if (pageSize === 0) return { resources: [], total: this.countFrom(table, 0, isMatch), next: undefined };
    const start = cursor ?? 0;
    const resources: Resource[] = [];
    let nextPosition: number | undefined;
    for (let position = start; position < table.order.length; position += 1) {
      const resource = this.liveAt(table, position);
      if (!resource || !isMatch(resource)) continue;
      if (resources.length === pageSize) {
        nextPosition = position;
        break;
      }
      resources.push(resource);
    }
    // A filtered total costs a full scan, so it is computed on a first page that is also the last,
    // or when `_total=accurate` asks for it.
    let total: number | undefined;
    if (matchesAll) total = table.live;
    else if (start === 0 && (nextPosition === undefined || single(query, '_total') === 'accurate')) {
      total =
        resources.length + (nextPosition === undefined ? 0 : this.countFrom(table, nextPosition, isMatch));
    }
    return {
      resources,
      total,
      next: nextPosition === undefined ? undefined : { cursor: String(nextPosition) },
    };
  }

  /**
   * `_include=Type:param[:target]` (the parameter's references) and `_include=*` (every `Type/id`
   * reference in the resource) of `matches`: current resources only, each once, none of the matches.
   */
  private includes(
    resourceType: string,
    matches: readonly Resource[],
    values: readonly string[],
  ): Resource[] {
    const seen = new Set(matches.map((resource) => `${resource.resourceType}/${resource.id}`));
    const included: Resource[] = [];
    const add = (reference: unknown, targetType?: string) => {
      const match = typeof reference === 'string' ? RELATIVE_REFERENCE.exec(reference) : null;
      if (!match || seen.has(reference as string)) return;
      const [, type = '', id = ''] = match;
      if (targetType !== undefined && type !== targetType) return;
      const current = this.tables.get(type)?.entries.get(id)?.current;
      if (!current) return;
      seen.add(reference as string);
      included.push(current);
    };
    for (const value of values) {
      if (value === '*') {
        for (const resource of matches) for (const reference of allReferences(resource)) add(reference);
        continue;
      }
      const [type, code, targetType, ...rest] = value.split(':');
      const parameter = type === resourceType && code ? getSearchParameter(type, code) : undefined;
      if (rest.length > 0 || parameter?.type !== 'reference' || !parameter.expression) {
        throw new OperationOutcomeError(badRequest('Invalid _include value', '_include'));
      }
      for (const resource of matches) {
        for (const element of evalFhirPath(parameter.expression, resource)) {
          add((element as { reference?: unknown } | null)?.reference, targetType);
        }
      }
    }
    return included;
  }

  /**
   * Medplum's search request for the plain parameters, and a test per chain or reverse chain: a chain
   * `ref[:Type].rest=v` holds when a reference of `ref` points at a `Type` matching `rest=v` (itself
   * possibly a chain); `_has:Type:ref:rest=v` when some `Type` matching `rest=v` refers to the resource
   * through `ref`. Each resolves against the current resources once per search.
   */
  private compileQuery(
    resourceType: string,
    query: Readonly<Record<string, readonly string[]>>,
  ): { request: SearchRequest; tests: ResourceTest[] } {
    const plain: Record<string, readonly string[]> = {};
    const tests: ResourceTest[] = [];
    for (const [name, values] of Object.entries(query)) {
      if (name.includes('.')) tests.push(...values.map((value) => this.chainTest(resourceType, name, value)));
      else if (name.startsWith('_has:'))
        tests.push(...values.map((value) => this.reverseChainTest(name, value)));
      else plain[name] = values;
    }
    return { request: this.parseFilters(resourceType, plain), tests };
  }

  private chainTest(resourceType: string, name: string, value: string): ResourceTest {
    const dot = name.indexOf('.');
    const [code = '', targetType, ...extra] = name.slice(0, dot).split(':');
    const parameter = getSearchParameter(resourceType, code);
    if (parameter?.type !== 'reference' || !parameter.expression || extra.length > 0) {
      throw new OperationOutcomeError(badRequest(`Invalid chain ${name}`, name));
    }
    const targets = targetType ? [targetType] : (parameter.target ?? []);
    if (targets.some((type) => !isResourceType(type))) {
      throw new OperationOutcomeError(badRequest(`Invalid chain target in ${name}`, name));
    }
    const keys = new Set<string>();
    for (const type of targets) {
      for (const found of this.matching(type, { [name.slice(dot + 1)]: [value] })) {
        keys.add(`${type}/${found.id}`);
      }
    }
    const expression = parameter.expression;
    return (resource) =>
      evalFhirPath(expression, resource).some((element) => {
        const reference = (element as { reference?: unknown } | null)?.reference;
        return typeof reference === 'string' && keys.has(reference);
      });
  }

  private reverseChainTest(name: string, value: string): ResourceTest {
    const [, type = '', code = '', ...rest] = name.split(':');
    const parameter = isResourceType(type) ? getSearchParameter(type, code) : undefined;
    if (parameter?.type !== 'reference' || !parameter.expression || rest.length === 0) {
      throw new OperationOutcomeError(badRequest(`Invalid reverse chain ${name}`, name));
    }
    const referenced = new Set<string>();
    for (const referrer of this.matching(type, { [rest.join(':')]: [value] })) {
      for (const element of evalFhirPath(parameter.expression, referrer)) {
        const reference = (element as { reference?: unknown } | null)?.reference;
        if (typeof reference === 'string') referenced.add(reference);
      }
    }
    return (resource) => referenced.has(`${resource.resourceType}/${resource.id}`);
  }

  /** Every current resource of `resourceType` a query (chains included) matches, unpaged. */
  private matching(resourceType: string, query: Readonly<Record<string, readonly string[]>>): Resource[] {
    const table = this.tables.get(resourceType);
    if (!table) return [];
    const { request, tests } = this.compileQuery(resourceType, query);
    return this.live(table).filter(
      (resource) => matchesSearchRequest(resource, request) && tests.every((test) => test(resource)),
    );
  }

  private parseFilters(
    resourceType: string,
    query: Readonly<Record<string, readonly string[]>>,
  ): SearchRequest {
    const params: Record<string, string[]> = {};
    let sort: string | undefined;
    for (const [name, values] of Object.entries(query)) {
      const base = name.split(':')[0] ?? name;
      if (UNSUPPORTED_PARAMETERS.has(base) || name.includes('.') || (base === '_include' && name !== base)) {
        throw new OperationOutcomeError(
          outcome('not-supported', `Search parameter ${name} is not supported`, { status: 400 }),
        );
      }
      if (name === '_sort') sort = values.join(',');
      if (CONTROL_PARAMETERS.has(name)) continue;
      params[name] = [...values];
    }
    if (sort !== undefined) params._sort = [sort];
    const request = parseSearchRequest(resourceType, params);
    for (const filter of request.filters ?? []) this.checkFilter(resourceType, filter);
    for (const rule of request.sortRules ?? []) {
      if (!['_id', '_lastUpdated'].includes(rule.code)) {
        throw new OperationOutcomeError(
          outcome('not-supported', `Sorting by ${rule.code} is not supported`, { status: 400 }),
        );
      }
    }
    return { resourceType: request.resourceType, filters: request.filters, sortRules: request.sortRules };
  }

  private checkFilter(resourceType: string, filter: Filter): void {
    if (!getSearchParameter(resourceType, filter.code)) {
      throw new OperationOutcomeError(
        badRequest(`Unknown search parameter ${filter.code} for ${resourceType}`, filter.code),
      );
    }
  }

  private countFrom(table: TypeTable, from: number, isMatch: (resource: Resource) => boolean): number {
    let count = 0;
    for (let position = from; position < table.order.length; position += 1) {
      const resource = this.liveAt(table, position);
      if (resource && isMatch(resource)) count += 1;
    }
    return count;
  }

  private liveAt(table: TypeTable, position: number): Resource | undefined {
    const id = table.order[position];
    if (id === undefined) return undefined;
    const entry = table.entries.get(id);
    return entry && entry.position === position ? entry.current : undefined;
  }

  private live(table: TypeTable): Resource[] {
    const resources: Resource[] = [];
    for (let position = 0; position < table.order.length; position += 1) {
      const resource = this.liveAt(table, position);
      if (resource) resources.push(resource);
    }
    return resources;
  }

  private table(resourceType: string): TypeTable {
    let table = this.tables.get(resourceType);
    if (!table) {
      table = { entries: new Map(), order: [], live: 0 };
      this.tables.set(resourceType, table);
    }
    return table;
  }

  /** Appends a version to the history, forgetting the oldest past `maxVersions`. */
  private addVersion(resourceType: string, id: string, entry: Entry, version: StoredVersion): void {
    entry.history.push(version);
    if (entry.history.length > this.maxVersions)
      entry.history.splice(0, entry.history.length - this.maxVersions);
    this.onVersion?.({ resourceType, id, ...version });
  }

  /** Every kept version of every resource, oldest first per resource (to write a journal afresh). */
  public *versions(): Generator<StoredChange> {
    for (const [resourceType, table] of this.tables) {
      for (const id of table.order) {
        const entry = table.entries.get(id);
        if (!entry) continue;
        for (const version of entry.history) yield { resourceType, id, ...version };
      }
    }
  }

  private nextVersion(entry: Entry): string {
    let max = 0;
    for (const version of entry.history) {
      const numeric = Number(version.versionId);
      if (Number.isInteger(numeric) && numeric > max) max = numeric;
    }
    return String(max + 1);
  }
}

/** Every `reference` string anywhere in `value` (elements, extensions, contained resources). */
const allReferences = (value: unknown, found: string[] = []): string[] => {
  if (Array.isArray(value)) {
    for (const item of value) allReferences(item, found);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'reference' && typeof child === 'string') found.push(child);
      else allReferences(child, found);
    }
  }
  return found;
};

/** The ids of a search whose only filter is `_id` (equality, one or more comma-separated ids). */
const idsOnly = (request: SearchRequest): string[] | undefined => {
  const filters = request.filters ?? [];
  const [filter] = filters;
  if (filters.length !== 1 || !filter || filter.code !== '_id' || request.sortRules?.length) return undefined;
  if (filter.operator !== Operator.EQUALS) return undefined;
  return [...new Set(filter.value.split(','))];
};

/** The resource reduced to `kept` top-level elements, marked SUBSETTED. */
const subset = (resource: Resource, kept: ReadonlySet<string>): Resource => {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(resource)) if (kept.has(name)) out[name] = value;
  const meta = resource.meta ?? {};
  out.meta = { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] };
  return out as unknown as Resource;
};

const comparator =
  (rules: NonNullable<SearchRequest['sortRules']>) =>
  (a: Resource, b: Resource): number => {
    for (const rule of rules) {
      const key = (r: Resource) => (rule.code === '_id' ? (r.id ?? '') : (r.meta?.lastUpdated ?? ''));
      const order = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
      if (order !== 0) return rule.descending ? -order : order;
    }
    return 0;
  };
