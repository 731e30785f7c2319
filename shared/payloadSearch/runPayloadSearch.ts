import {
  PermanentSourceError,
  SourceConfigurationError,
  TransientSourceError,
} from '../fhirClient/errors.js';
import type { SourceReader } from '../fhirClient/FhirClient.js';
import type { FhirResource } from '../fhir/types.js';
import { isFhirId, RESOURCE_TYPE_PATTERN, resourceKey } from '../fhir/ids.js';
import { HEALTHLAKE_MAX_BUNDLE_ENTRIES } from '../healthlake/constants.js';
import { PayloadSearchError } from './errors.js';
import { substituteMatchedResource } from './substituteMatchedResource.js';

export interface PayloadSearchOptions {
  /** Most resources one Bundle may hold (healthLake.maxBundleEntries). @default HEALTHLAKE_MAX_BUNDLE_ENTRIES (160) */
  readonly maxEntries?: number;
  /** No further page is read after this instant (epoch ms): the invocation's time is running out. */
  readonly deadline?: number;
  /** Clock (epoch ms). @default Date.now */
  readonly now?: () => number;
}

const isResource = (value: FhirResource): value is FhirResource & { resourceType: string; id: string } =>
  typeof value.resourceType === 'string' &&
  RESOURCE_TYPE_PATTERN.test(value.resourceType) &&
  isFhirId(value.id);

/** A source failure as a payload search failure: 4xx and bad answers are terminal, the rest transient. */
const fromSourceError = (error: unknown): PayloadSearchError => {
  if (error instanceof PayloadSearchError) return error;
  if (error instanceof PermanentSourceError) {
    return new PayloadSearchError('terminal', `Payload search failed: ${error.message}`, error.status, {
      cause: error,
    });
  }
  if (error instanceof TransientSourceError || error instanceof SourceConfigurationError) {
    const status = error instanceof TransientSourceError ? error.status : undefined;
    return new PayloadSearchError('transient', `Payload search failed: ${error.message}`, status, {
      cause: error,
    });
  }
  throw error;
};

/**
 * Runs a Subscription's payload search for one matched resource against the source server: substitutes
 * `${matched_resource_id}`, reads every page (following `next` links, which the source reader keeps on
 * the source's origin) with `_include`d entries, and returns the resources, each `Type/id` once.
 *
 * Throws `PayloadSearchError`:
 * - terminal when the source refuses the search (4xx, a redirect, not a Bundle), when a result has no
 *   valid type and id, or when the results exceed `maxEntries` (HealthLake takes at most 160 entries per
 *   Bundle; splitting would break the transaction's all-or-nothing, so it is never split);
 * - transient when the source keeps failing (5xx, 429, timeout), when its configuration or secret is
 *   unusable, when the time is up, or when the search finds nothing (the source may not yet have
 *   made the write searchable).
 *
 * @example
 * const resources = await runPayloadSearch('Observation?_id=${matched_resource_id}&_include=Observation:subject', 'Observation', '3', source);
 */
export const runPayloadSearch = async (
  criteria: string,
  resourceType: string,
  id: string,
  source: SourceReader,
  options: PayloadSearchOptions = {},
): Promise<FhirResource[]> => {
  const maxEntries = options.maxEntries ?? HEALTHLAKE_MAX_BUNDLE_ENTRIES;
  const now = options.now ?? Date.now;
  const found = new Map<string, FhirResource>();
  try {
    let url: string | undefined = source.resolveSearchUrl(
      substituteMatchedResource(criteria, resourceType, id),
    );
    while (url !== undefined) {
      if (options.deadline !== undefined && now() >= options.deadline) {
        throw new PayloadSearchError('transient', 'Payload search stopped: the invocation ran out of time');
      }
      // No page may run past the deadline: the HealthLake request still needs its time after it.
      const page = await source.searchPage(url, {
        includes: true,
        ...(options.deadline === undefined ? {} : { timeoutMs: options.deadline - now() }),
      });
      for (const resource of page.resources) {
        if (!isResource(resource)) {
          throw new PayloadSearchError(
            'terminal',
            'Payload search returned a resource without a valid type and id',
          );
        }
        found.set(resourceKey(resource.resourceType, resource.id), resource);
        if (found.size > maxEntries) {
          throw new PayloadSearchError(
            'terminal',
            `Payload search returned more than ${maxEntries} resources, the most one HealthLake Bundle holds (healthLake.maxBundleEntries); narrow the Subscription's payload search criteria`,
          );
        }
      }
      url = page.nextUrl;
    }
  } catch (error) {
    throw fromSourceError(error);
  }
  if (found.size === 0) {
    throw new PayloadSearchError(
      'transient',
      'Payload search found nothing; the source may not yet have made the write searchable',
    );
  }
  return [...found.values()];
};
