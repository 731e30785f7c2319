import { parseJson } from '../fhir/parseJson.js';
import type { FhirResource } from '../fhir/types.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_PAGE_SIZE,
  DEFAULT_SOURCE_REQUESTS_PER_SECOND,
} from './constants.js';
import { PermanentSourceError, SourceConfigurationError, TransientSourceError } from './errors.js';
import { readCappedBody } from './readCappedBody.js';
import type { SourceAuth } from './SourceAuth.js';
import { noAuth } from './SourceAuth.js';
import { TokenBucket } from './TokenBucket.js';

/** One page of a search on the source. */
export interface SearchPage {
  /** Entries with `search.mode` `match` (or none), plus `include` ones when asked; outcome entries are left out. */
  readonly resources: readonly FhirResource[];
  /** `Bundle.link[next]`, checked to stay on the source's origin. */
  readonly nextUrl?: string;
}

/** How a search page is read. */
export interface SearchPageOptions {
  /**
   * Also return `_include`d entries (`search.mode` `include`); outcome entries are still left out.
   * @default false
   */
  readonly includes?: boolean;
  /** A shorter per-request timeout than the client's (the caller's time left), ms. */
  readonly timeoutMs?: number;
}

/** What the backfill (and the deliverer's payload search) reads from the system of record. */
export interface SourceReader {
  /** Absolute URL of a submitted `Type?params` search, with `_count` added when absent. */
  resolveSearchUrl(searchUrl: string): string;
  /** Reads one page (a resolved search URL or a next link). */
  searchPage(url: string, options?: SearchPageOptions): Promise<SearchPage>;
  /** Reads `Type/id`; undefined when the source answers 404 or 410. */
  read(resourceType: string, id: string): Promise<FhirResource | undefined>;
  /** The types the source's CapabilityStatement (`GET metadata`) says it can search (`search-type`). */
  searchableTypes?(): Promise<ReadonlySet<string>>;
  /** Absolute URL of a path relative to the source base, checked to stay on the source. */
  resolveUrl?(relative: string): string;
  /** GETs a URL on the source (history pages, operations); its JSON body, undefined for 404/410. */
  getJson?(url: string): Promise<unknown>;
}

export interface RetryOptions {
  /** Attempts per request, first included (default 5). */
  readonly maxAttempts?: number;
  /** First backoff delay, doubled each retry with full jitter (default 200 ms). */
  readonly baseDelayMs?: number;
  /** Longest single wait, Retry-After included (default 20 s). */
  readonly maxDelayMs?: number;
}

export interface FhirClientOptions {
  /** Base URL of the source FHIR API (`https://ehr.example.org/fhir`). */
  readonly baseUrl: string;
  readonly auth?: SourceAuth;
  /** `_count` added to searches that set none (default 100). */
  readonly pageSize?: number;
  /** Requests per second to the source; 0 = unlimited (default `DEFAULT_SOURCE_REQUESTS_PER_SECOND`). */
  readonly requestsPerSecond?: number;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number;
  /**
   * Largest response body read, bytes (default `DEFAULT_MAX_RESPONSE_BYTES`, 32 MiB): a larger answer is
   * cut off while it streams and fails permanently (PermanentSourceError naming the cap).
   */
  readonly maxResponseBytes?: number;
  readonly retry?: RetryOptions;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After as milliseconds (delta-seconds or an HTTP date), undefined when absent or invalid. */
export const parseRetryAfter = (value: string | null, now = Date.now()): number | undefined => {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};

/**
 * HTTP client of the source FHIR server: authentication, a token-bucket read rate, retries with
 * exponential backoff on 429/5xx/network errors/timeouts (honouring Retry-After), and a same-origin
 * check on every next link so credentials and PHI never go to another host.
 *
 * @example
 * const source = new FhirClient({ baseUrl: 'https://ehr.example.org/fhir', auth: bearerAuth(token) });
 * const page = await source.searchPage(source.resolveSearchUrl('Observation?date=ge2020'));
 */
export class FhirClient implements SourceReader {
  private readonly base: URL;
  private readonly auth: SourceAuth;
  private readonly pageSize: number;
  private readonly bucket: TokenBucket;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly doFetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  public constructor(options: FhirClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    } catch {
      throw new SourceConfigurationError('Source FHIR base URL is not a valid URL');
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new SourceConfigurationError('Source FHIR base URL must be http(s)');
    }
    this.base = base;
    this.auth = options.auth ?? noAuth();
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.bucket = new TokenBucket({
      ratePerSecond: options.requestsPerSecond ?? DEFAULT_SOURCE_REQUESTS_PER_SECOND,
    });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.maxAttempts = Math.max(1, options.retry?.maxAttempts ?? 5);
    this.baseDelayMs = options.retry?.baseDelayMs ?? 200;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 20_000;
    this.doFetch = options.fetch ?? fetch;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
  }

  public get baseUrl(): string {
    return this.base.href;
  }

  public resolveSearchUrl(searchUrl: string): string {
    const url = new URL(searchUrl.replace(/^\/+/, ''), this.base);
    this.assertOnSource(url, 'searchUrl');
    if (!url.searchParams.has('_count')) url.searchParams.set('_count', String(this.pageSize));
    return url.href;
  }

  public async searchPage(pageUrl: string, options: SearchPageOptions = {}): Promise<SearchPage> {
    const url = new URL(pageUrl);
    this.assertOnSource(url, 'page URL');
    const response = await this.request(url, { search: true, timeoutMs: options.timeoutMs });
    if (!response) throw new PermanentSourceError('Search answered 404/410');
    const bundle = response as {
      resourceType?: unknown;
      entry?: { resource?: FhirResource; search?: { mode?: string } }[];
      link?: { relation?: string; url?: string }[];
    };
    if (bundle.resourceType !== 'Bundle') {
      throw new PermanentSourceError('Search did not answer a Bundle');
    }
    const resources: FhirResource[] = [];
    for (const entry of bundle.entry ?? []) {
      const mode = entry.search?.mode;
      if (mode !== undefined && mode !== 'match' && !(options.includes && mode === 'include')) continue;
      // Every match is returned, malformed or not: the caller checks each one as ingest would and
      // counts a bad one as a failed id, rather than losing it here without a trace.
      const resource = entry.resource;
      if (resource !== undefined && resource !== null) resources.push(resource);
    }
    const next = bundle.link?.find((link) => link.relation === 'next')?.url;
    if (next === undefined || next === '') return { resources };
    let nextUrl: URL;
    try {
      nextUrl = new URL(next, this.base);
    } catch {
      throw new PermanentSourceError('Search next link is not a valid URL');
    }
    this.assertOnSource(nextUrl, 'next link');
    return { resources, nextUrl: nextUrl.href };
  }

  public resolveUrl(relative: string): string {
    const url = new URL(relative.replace(/^\/+/, ''), this.base);
    this.assertOnSource(url, 'URL');
    return url.href;
  }

  public async getJson(pageUrl: string): Promise<unknown> {
    const url = new URL(pageUrl);
    this.assertOnSource(url, 'URL');
    return this.request(url, { search: false, what: 'request' });
  }

  /** `GET [base]/metadata`: the server's CapabilityStatement (undefined when it answers 404). */
  public async capabilityStatement(): Promise<unknown> {
    return this.request(new URL('metadata', this.base), { search: false });
  }

  public async read(resourceType: string, id: string): Promise<FhirResource | undefined> {
    const url = new URL(`${encodeURIComponent(resourceType)}/${encodeURIComponent(id)}`, this.base);
    // Whether the answer is the resource asked for is checked by the caller (checkSourceResource).
    return (await this.request(url, { search: false })) as FhirResource | undefined;
  }

  public async searchableTypes(): Promise<ReadonlySet<string>> {
    const statement = (await this.request(new URL('metadata', this.base), { search: false })) as
      | {
          resourceType?: unknown;
          rest?: { mode?: string; resource?: { type?: unknown; interaction?: { code?: unknown }[] }[] }[];
        }
      | undefined;
    if (statement?.resourceType !== 'CapabilityStatement') {
      throw new PermanentSourceError('The source server answered no CapabilityStatement at metadata');
    }
    const types = new Set<string>();
    for (const rest of statement.rest ?? []) {
      if (rest.mode !== undefined && rest.mode !== 'server') continue;
      for (const resource of rest.resource ?? []) {
        if (typeof resource.type !== 'string') continue;
        if ((resource.interaction ?? []).some((interaction) => interaction.code === 'search-type')) {
          types.add(resource.type);
        }
      }
    }
    return types;
  }

  /** Links must stay on the source's scheme, host and port, and under its base path. */
  private assertOnSource(url: URL, what: string): void {
    if (url.origin !== this.base.origin || !url.pathname.startsWith(this.base.pathname)) {
      throw new PermanentSourceError(`Refusing a ${what} outside the source server's base URL`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new PermanentSourceError(`Refusing a ${what} with embedded credentials`);
    }
  }

  /** GET with auth, rate limit and retries. Undefined for 404/410. */
  private async request(
    url: URL,
    context: { search: boolean; timeoutMs?: number; what?: string },
  ): Promise<unknown> {
    const what = context.what ?? (context.search ? 'search' : 'read');
    const timeoutMs = Math.max(1, Math.min(this.timeoutMs, context.timeoutMs ?? this.timeoutMs));
    let reauthenticated = false;
    for (let attempt = 1; ; attempt += 1) {
      await this.bucket.take();
      let response: Response | undefined;
      let failure: unknown;
      try {
        const headers = {
          accept: 'application/fhir+json',
          ...(await this.auth.headers({ method: 'GET', url })),
        };
        // Never follow a redirect: it would carry the search (which may hold PHI) and the credentials
        // to wherever the Location points, and write that host's answer to HealthLake.
        response = await this.doFetch(url, {
          headers,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        if (error instanceof PermanentSourceError) throw error;
        failure = error;
      }
      if (response) {
        const status = response.status;
        if (status >= 200 && status < 300) {
          // Read while it streams, up to the cap: a page of hundreds of MiB never sits in memory.
          const body = await readCappedBody(response, this.maxResponseBytes);
          if (body.tooLarge) {
            throw new PermanentSourceError(
              `Source answered more than ${this.maxResponseBytes} bytes to a ${what}, the response cap (maxResponseBytes): lower the page size or raise the cap`,
              status,
            );
          }
          try {
            if (body.error) throw body.error;
            return parseJson(body.text, 'The source answer');
          } catch (error) {
            failure = error; // a body cut off mid-stream is transient
          }
        } else if (status >= 300 && status < 400) {
          await response.body?.cancel();
          throw new PermanentSourceError(
            `Source answered HTTP ${status} (a redirect) to a ${what}; redirects are never followed: set the source base URL to the final location`,
            status,
          );
        } else if (status === 404 || status === 410) {
          await response.body?.cancel();
          return undefined;
        } else if (status === 401 && this.auth.invalidate && !reauthenticated) {
          await response.body?.cancel();
          this.auth.invalidate();
          reauthenticated = true;
          attempt -= 1; // a refreshed token is not a retry of a failing source
          continue;
        } else if (status !== 429 && status !== 408 && status < 500) {
          await response.body?.cancel();
          throw new PermanentSourceError(`Source answered HTTP ${status} to a ${what}`, status);
        } else {
          failure = undefined;
        }
      }
      const status = response?.status;
      if (attempt >= this.maxAttempts) {
        await response?.body?.cancel().catch(() => undefined);
        throw new TransientSourceError(
          `Source still failing after ${attempt} attempts (${status === undefined ? 'network error or timeout' : `HTTP ${status}`})`,
          status,
          { cause: failure },
        );
      }
      const retryAfter = response ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
      await response?.body?.cancel().catch(() => undefined);
      const backoff = this.random() * this.baseDelayMs * 2 ** (attempt - 1);
      await this.sleep(Math.min(this.maxDelayMs, Math.max(retryAfter ?? 0, backoff)));
    }
  }
}
