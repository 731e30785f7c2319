import { PermanentSourceError } from '../fhirClient/errors.js';
import type { SearchPage, SourceReader } from '../fhirClient/FhirClient.js';
import type { FhirResource } from '../fhir/types.js';
import { LOOKUP_CHUNK } from './constants.js';

/** Ids and version metadata only (FHIR `_elements`; `id` and `meta` are always returned). */
export const ELEMENTS_ID_META = 'id,meta';

/**
 * Reads one side of a reconcile (the source or a HealthLake data store) through a SourceReader (its
 * auth, rate limit and retries). Asks for `_elements=id,meta` where the caller allows it and falls
 * back to full resources, for this reader's life, once the server refuses `_elements` with a 400.
 *
 * @example
 * const side = new FhirLookup(source);
 * const page = await side.page(side.firstPageUrl('Patient', { elements: true, pageSize: 500 }));
 */
export class FhirLookup {
  private elementsRefused = false;

  public constructor(public readonly reader: SourceReader) {}

  /** Absolute URL of page 0 of a `Type?params` search. */
  public firstPageUrl(query: string, options: { elements: boolean; pageSize: number }): string {
    const url = new URL(this.reader.resolveSearchUrl(query));
    url.searchParams.set('_count', String(options.pageSize));
    if (options.elements && !this.elementsRefused) url.searchParams.set('_elements', ELEMENTS_ID_META);
    return url.href;
  }

  /** One page; retried once without `_elements` when the server refuses it. */
  public async page(url: string): Promise<SearchPage> {
    try {
      return await this.reader.searchPage(url);
    } catch (error) {
      const parsed = new URL(url);
      if (
        !(error instanceof PermanentSourceError) ||
        error.status !== 400 ||
        !parsed.searchParams.has('_elements')
      )
        throw error;
      this.elementsRefused = true;
      parsed.searchParams.delete('_elements');
      return this.reader.searchPage(parsed.href);
    }
  }

  /**
   * The current versions of `ids` of one type, by `Type?_id=a,b,...` searches of LOOKUP_CHUNK ids,
   * `concurrency` at a time. Absent ids (never created or deleted) are absent from the map.
   */
  public async byIds(
    resourceType: string,
    ids: readonly string[],
    options: { elements: boolean; concurrency?: number },
  ): Promise<Map<string, FhirResource>> {
    const found = new Map<string, FhirResource>();
    const chunks: string[][] = [];
    for (let start = 0; start < ids.length; start += LOOKUP_CHUNK)
      chunks.push(ids.slice(start, start + LOOKUP_CHUNK));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++] as string[];
        let url: string | undefined = this.firstPageUrl(`${resourceType}?_id=${chunk.join(',')}`, {
          elements: options.elements,
          pageSize: chunk.length,
        });
        while (url) {
          const page: SearchPage = await this.page(url);
          for (const resource of page.resources) {
            if (resource.resourceType === resourceType && typeof resource.id === 'string')
              found.set(resource.id, resource);
          }
          url = page.nextUrl;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, chunks.length) }, worker));
    return found;
  }
}
