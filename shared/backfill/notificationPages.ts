import type { FhirResource } from '../fhir/types.js';
import { resourceKey } from '../fhir/ids.js';
import { PermanentSourceError, SourceError } from '../fhirClient/errors.js';
import type { SourceReader } from '../fhirClient/FhirClient.js';
import { isKnownResourceType } from '../ingest/validateFhirResource.js';
import { mapBounded } from './mapBounded.js';
import { parseNotificationBundle } from '../notifications/parseNotificationBundle.js';
import {
  normalizeOrigins,
  parseResourceReference,
  type ReferenceRules,
} from '../notifications/parseResourceReference.js';
import type { EventRange, ResourceRef } from '../notifications/types.js';
import type { SourceCheck } from '../ingest/checkSourceResource.js';
import { FAILED_ID_REASONS, type FailedId, type PageRead, type UnreadableResource } from './types.js';

/** Checks a resource as ingest would (checkSourceResource). */
export type ResourceCheck = (
  value: unknown,
  expected?: { readonly resourceType: string; readonly id: string },
) => SourceCheck;

/** What reading a page needs: the source, the check, how many reads at once. */
export interface PageContext {
  readonly source: SourceReader;
  readonly check: ResourceCheck;
  readonly concurrency: number;
}

/** A `Type/id` (or placeholder) whose resource failed ingest's checks. */
export const invalid = (key: string): FailedId => ({ key, reason: FAILED_ID_REASONS.invalid });

const keyOf = (ref: ResourceRef): string => resourceKey(ref.resourceType, ref.id);

/** Only the source's own origin, and the R4 types, for references a source answer carries. */
const sourceRules = (source: SourceReader): ReferenceRules => ({
  allowedOrigins: normalizeOrigins([requireUrlSupport(source).resolveUrl('')]),
  isResourceType: isKnownResourceType,
});

const requireUrlSupport = (source: SourceReader): Required<Pick<SourceReader, 'resolveUrl' | 'getJson'>> => {
  if (!source.resolveUrl || !source.getJson) {
    throw new PermanentSourceError('The source reader cannot follow history or operation URLs');
  }
  return { resolveUrl: source.resolveUrl.bind(source), getJson: source.getJson.bind(source) };
};

/**
 * Reads each resource as the source has it now: present, it is replicated; gone (404/410), it is
 * deleted (the IG's id-only focus names a resource; the source no longer having it is its delete).
 * Reading the current version is always right, whatever order notifications came in. A read the
 * source fails (after the client's own retries) is returned as `unreadable`, the others go on.
 */
export const readCurrent = async (refs: readonly ResourceRef[], context: PageContext): Promise<PageRead> => {
  const unique = [...new Map(refs.map((ref) => [keyOf(ref), ref] as const)).values()];
  const upserts: FhirResource[] = [];
  const deletes: ResourceRef[] = [];
  const failedIds: FailedId[] = [];
  const unreadable: UnreadableResource[] = [];
  await mapBounded(unique, context.concurrency, async (ref) => {
    let value: unknown;
    try {
      value = await context.source.read(ref.resourceType, ref.id);
    } catch (error) {
      // One resource the source will not give is retried with the page, then dead-lettered alone.
      if (!(error instanceof SourceError)) throw error;
      unreadable.push({ ref: { resourceType: ref.resourceType, id: ref.id }, error });
      return;
    }
    if (value === undefined) {
      deletes.push({ resourceType: ref.resourceType, id: ref.id });
      return;
    }
    const checked = context.check(value, { resourceType: ref.resourceType, id: ref.id });
    if (checked.ok) upserts.push(checked.resource);
    else failedIds.push(invalid(checked.failedId));
  });
  return {
    upserts,
    deletes,
    failedIds,
    read: unique.length - unreadable.length,
    ...(unreadable.length > 0 ? { unreadable } : {}),
  };
};

const covers = (numbers: ReadonlySet<number>, missing: readonly EventRange[]): boolean =>
  missing.every((range) => {
    // Ranges asked for are bounded by the job (see MAX_EVENTS_PER_CATCH_UP); walk them.
    for (let n = range.from; n <= range.to; n += 1) if (!numbers.has(n)) return false;
    return true;
  });

/**
 * An `$events` page: the missed notifications the source still holds, whose resources are then read
 * as the source has them now. When the source cannot answer (no `$events`, an error, a Bundle that is
 * no notification) or leaves some of the missed numbers out, the job's history streams must run.
 */
export const readEventsPage = async (
  url: string,
  missing: readonly EventRange[],
  context: PageContext,
): Promise<PageRead> => {
  const source = requireUrlSupport(context.source);
  let body: unknown;
  try {
    body = await source.getJson(url);
  } catch (error) {
    if (error instanceof PermanentSourceError)
      return { upserts: [], deletes: [], failedIds: [], read: 0, standby: 'run' };
    throw error;
  }
  const parsed = body === undefined ? undefined : parseNotificationBundle(body, sourceRules(context.source));
  if (!parsed?.ok) return { upserts: [], deletes: [], failedIds: [], read: 0, standby: 'run' };
  const { events, entries } = parsed.notification;
  const refs = [
    ...events.flatMap((event) => [...(event.focus ? [event.focus] : []), ...event.additionalContext]),
    ...entries.map((entry) => entry.ref),
  ];
  const page = await readCurrent(refs, context);
  const complete = covers(new Set(events.map((event) => event.eventNumber)), missing);
  return { ...page, standby: complete ? 'skip' : 'run' };
};

interface HistoryEntry {
  readonly resource?: unknown;
  readonly fullUrl?: unknown;
  readonly request?: { readonly method?: unknown; readonly url?: unknown };
}

/** The resource an entry names, from its resource, request.url or fullUrl. */
const entryRef = (entry: HistoryEntry, rules: ReferenceRules): ResourceRef | undefined => {
  const resource = entry.resource as { resourceType?: unknown; id?: unknown } | undefined;
  if (typeof resource?.resourceType === 'string' && typeof resource.id === 'string') {
    const parsed = parseResourceReference(`${resource.resourceType}/${resource.id}`, rules);
    if (parsed.kind === 'resource') return parsed.ref;
  }
  for (const value of [entry.request?.url, entry.fullUrl]) {
    const parsed = parseResourceReference(value, rules);
    if (parsed.kind === 'resource') return { resourceType: parsed.ref.resourceType, id: parsed.ref.id };
  }
  return undefined;
};

/**
 * A page of `Type/_history?_since=`: the resources it names are read as the source has them now
 * (present: replicated, gone: deleted). Pages come newest first, so applying the versions they carry
 * would let an older version on a later page undo a newer delete; the current state is right
 * whatever order pages, retries and live notifications come in.
 */
export const readHistoryPage = async (
  url: string,
  resourceType: string,
  context: PageContext,
): Promise<PageRead> => {
  const source = requireUrlSupport(context.source);
  const body = (await source.getJson(url)) as
    { resourceType?: unknown; entry?: unknown; link?: { relation?: unknown; url?: unknown }[] } | undefined;
  if (body === undefined) throw new PermanentSourceError(`${resourceType} history answered 404/410`);
  if (body.resourceType !== 'Bundle' || (body.entry !== undefined && !Array.isArray(body.entry))) {
    throw new PermanentSourceError(`${resourceType} history did not answer a Bundle`);
  }
  const rules = sourceRules(context.source);
  const named: ResourceRef[] = [];
  const failedIds: FailedId[] = [];
  for (const entry of (body.entry ?? []) as HistoryEntry[]) {
    const ref = entryRef(entry, rules);
    if (ref?.resourceType === resourceType) named.push(ref);
    else failedIds.push(invalid(`(${resourceType} history entry naming no ${resourceType})`));
  }
  const current = await readCurrent(named, context);
  const next = body.link?.find((link) => link.relation === 'next')?.url;
  const nextUrl = typeof next === 'string' && next !== '' ? source.resolveUrl(next) : undefined;
  return {
    upserts: current.upserts,
    deletes: current.deletes,
    failedIds: [...failedIds, ...current.failedIds],
    read: failedIds.length + current.read,
    ...(current.unreadable ? { unreadable: current.unreadable } : {}),
    ...(nextUrl === undefined ? {} : { nextUrl }),
  };
};
