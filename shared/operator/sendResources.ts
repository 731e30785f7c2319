import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { outcomeDiagnostics, type FhirApiClient } from './FhirApiClient.js';
import { parseJson } from '../fhir/parseJson.js';
import { resourcePath } from './resourcePath.js';

/** One HTTP request `hlc send` makes. */
export interface SendItem {
  /** `file` or `file:line` or `file#entry`, for failure lines (no content). */
  readonly source: string;
  readonly method: 'PUT' | 'POST';
  /** Relative to the FHIR base ('' for a Bundle), built by resourcePath from a checked type and id. */
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** Resources this request writes (entries of a Bundle). */
  readonly resources: number;
}

/** Something read that cannot be sent (no R4 type, a bad id, not JSON): counted as failed, never sent. */
export interface RefusedItem {
  readonly source: string;
  /** Why, without quoting the data. */
  readonly problem: string;
  readonly resources: number;
}

/** What a source yields: a request, or a refusal that counts as a failed resource. */
export type SendWork = SendItem | RefusedItem;

export const isRefused = (work: SendWork): work is RefusedItem => 'problem' in work;

export interface SendFailure {
  readonly source: string;
  readonly status: number;
  readonly diagnostics?: string;
}

export interface SendSummary {
  readonly requests: number;
  readonly resources: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly failures: readonly SendFailure[];
  readonly elapsedMs: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Lists the .json/.ndjson files under the given files or folders (recursively, sorted). */
export const listFhirFiles = async (paths: readonly string[]): Promise<string[]> => {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path);
    if (info.isDirectory()) {
      const entries = (await readdir(path)).sort();
      files.push(...(await listFhirFiles(entries.map((entry) => join(path, entry)))));
    } else if (/\.(json|ndjson|jsonl)$/i.test(path)) {
      files.push(path);
    }
  }
  return files;
};

/** How files are read into requests. */
export interface ReadOptions {
  /**
   * smileutil `--upload-bundles-as-transactions`: a Bundle of another type is sent whole as a
   * transaction (its `type` set to `transaction`, nothing else changed) instead of entry by entry.
   */
  readonly bundlesAsTransactions?: boolean;
}

/**
 * The request for one parsed resource: a transaction/batch Bundle is POSTed to the base as it is;
 * another Bundle (collection, searchset) becomes one request per entry resource; a resource with an
 * id is PUT to `Type/id`, one without is POSTed to `Type`. A resource without an R4 type or with an id
 * that is not a FHIR id is refused: its path is never built.
 */
export const requestsFor = (resource: unknown, source: string, options: ReadOptions = {}): SendWork[] => {
  if (!isRecord(resource) || typeof resource.resourceType !== 'string') {
    return [{ source, problem: 'not a FHIR resource (no resourceType)', resources: 1 }];
  }
  if (resource.resourceType === 'Bundle') {
    const entries = Array.isArray(resource.entry) ? resource.entry : [];
    if (options.bundlesAsTransactions && resource.type !== 'batch') resource.type = 'transaction';
    if (resource.type === 'transaction' || resource.type === 'batch') {
      return [{ source, method: 'POST', path: '', body: resource, resources: entries.length }];
    }
    return entries.flatMap((entry, index) =>
      isRecord(entry) && entry.resource !== undefined
        ? requestsFor(entry.resource, `${source}#${index}`, options)
        : [],
    );
  }
  const create = resource.id === undefined || resource.id === '';
  const target = create
    ? resourcePath(resource.resourceType)
    : resourcePath(resource.resourceType, resource.id);
  if ('problem' in target) return [{ source, problem: target.problem, resources: 1 }];
  return [{ source, method: create ? 'POST' : 'PUT', path: target.path, body: resource, resources: 1 }];
};

/**
 * Reads one file into requests, one at a time: JSON (a resource or Bundle) whole, NDJSON line by line,
 * so a large export never sits in memory. A line or file that is not JSON is refused, not fatal.
 */
export async function* readFileRequests(file: string, options: ReadOptions = {}): AsyncGenerator<SendWork> {
  const name = basename(file);
  const parse = (text: string, source: string): SendWork[] => {
    try {
      return requestsFor(parseJson(text, source), source, options);
    } catch (error) {
      return [{ source, problem: (error as Error).message, resources: 1 }];
    }
  };
  if (extname(file).toLowerCase() === '.json') {
    yield* parse(await readFile(file, 'utf8'), name);
    return;
  }
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line.trim() !== '') yield* parse(line, `${name}:${number}`);
  }
}

/** Reads one file into requests (see readFileRequests). */
export const readRequests = async (file: string, options: ReadOptions = {}): Promise<SendWork[]> => {
  const items: SendWork[] = [];
  for await (const item of readFileRequests(file, options)) items.push(item);
  return items;
};

/** Entry-level failures in a batch/transaction response (transactions fail as a whole). */
const bundleEntryFailures = (item: SendItem, body: unknown): SendFailure[] => {
  if (!isRecord(body) || body.resourceType !== 'Bundle' || !Array.isArray(body.entry)) return [];
  return body.entry.flatMap((entry, index) => {
    const response = isRecord(entry) && isRecord(entry.response) ? entry.response : undefined;
    const status = Number(String(response?.status ?? '').split(' ')[0]);
    if (!Number.isInteger(status) || status < 400) return [];
    const diagnostics = outcomeDiagnostics(response?.outcome);
    return [{ source: `${item.source}#${index}`, status, ...(diagnostics ? { diagnostics } : {}) }];
  });
};

const RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * Sends FHIR JSON, NDJSON and Bundles to the ingest API with at most `parallel` requests in flight,
 * retrying 429/502/503/504 with backoff. Returns counts and failures (status and OperationOutcome
 * diagnostics only, never resource content).
 *
 * @example
 * const summary = await sendResources(client, ['./bundles'], { parallel: 8 });
 */
export const sendResources = async (
  client: FhirApiClient,
  paths: readonly string[],
  options: SendOptions = {},
): Promise<SendSummary> => {
  const files = await listFhirFiles(paths);
  async function* items(): AsyncGenerator<SendWork> {
    for (const file of files) yield* readFileRequests(file);
  }
  return sendItems(client, items(), options);
};

export interface SendOptions {
  readonly parallel?: number;
  readonly retries?: number;
  /**
   * Requests done, the total when it is known in advance (an array of items), and the resource type
   * of the request just done (`Bundle` for a Bundle; absent for an item refused before sending).
   */
  readonly onProgress?: (done: number, total?: number, resourceType?: string) => void;
}

/**
 * Sends prepared requests with at most `parallel` in flight and retries (see sendResources). `items`
 * may be produced lazily (an async iterable): each is read only when a sender is free, so a source of
 * any size is held one page at a time. Refused items count as failed and are never sent.
 */
export const sendItems = async (
  client: FhirApiClient,
  items: Iterable<SendWork> | AsyncIterable<SendWork>,
  options: SendOptions = {},
): Promise<SendSummary> => {
  const started = Date.now();
  const total = Array.isArray(items) ? items.length : undefined;
  const byStatus: Record<string, number> = {};
  const failures: SendFailure[] = [];
  let requests = 0;
  let resources = 0;
  let succeeded = 0;
  let failed = 0;
  let done = 0;
  const retries = options.retries ?? 3;
  const send = async (item: SendItem) => {
    let status = 0;
    let body: unknown;
    for (let attempt = 0; ; attempt += 1) {
      try {
        ({ status, body } = await client.request(item.method, item.path, item.body));
      } catch (error) {
        status = 0;
        body = undefined;
        if (attempt >= retries) {
          failures.push({ source: item.source, status: 0, diagnostics: (error as Error).message });
          break;
        }
      }
      if (status !== 0 && (!RETRYABLE.has(status) || attempt >= retries)) break;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
    requests += 1;
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    const entryFailures = status >= 200 && status < 300 ? bundleEntryFailures(item, body) : [];
    resources += item.resources;
    if (status >= 200 && status < 300) {
      succeeded += item.resources - entryFailures.length;
      failed += entryFailures.length;
      failures.push(...entryFailures);
    } else {
      failed += item.resources;
      if (status !== 0) {
        const diagnostics = outcomeDiagnostics(body);
        failures.push({ source: item.source, status, ...(diagnostics ? { diagnostics } : {}) });
      }
    }
  };
  const refuse = (item: RefusedItem) => {
    byStatus.refused = (byStatus.refused ?? 0) + 1;
    resources += item.resources;
    failed += item.resources;
    failures.push({ source: item.source, status: 0, diagnostics: item.problem });
  };
  const iterator =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<SendWork>)[Symbol.asyncIterator]()
      : (items as Iterable<SendWork>)[Symbol.iterator]();
  const worker = async () => {
    for (;;) {
      // Async generators queue concurrent next() calls, so each item goes to exactly one worker.
      const next = await iterator.next();
      if (next.done) return;
      const item = next.value;
      if (isRefused(item)) refuse(item);
      else await send(item);
      done += 1;
      const type = isRefused(item) ? undefined : item.body.resourceType;
      options.onProgress?.(done, total, typeof type === 'string' ? type : undefined);
    }
  };
  const parallel = Math.max(1, Math.min(options.parallel ?? 4, total === undefined ? Infinity : total || 1));
  await Promise.all(Array.from({ length: parallel }, worker));
  return { requests, resources, succeeded, failed, byStatus, failures, elapsedMs: Date.now() - started };
};
