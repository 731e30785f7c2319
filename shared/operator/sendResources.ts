import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { outcomeDiagnostics, type FhirApiClient } from './FhirApiClient.js';
import { parseJson } from '../fhir/parseJson.js';

/** One HTTP request `hlc send` makes. */
export interface SendItem {
  /** `file` or `file:line` or `file#entry`, for failure lines (no content). */
  readonly source: string;
  readonly method: 'PUT' | 'POST';
  /** Relative to the FHIR base ('' for a Bundle). */
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** Resources this request writes (entries of a Bundle). */
  readonly resources: number;
}

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

/**
 * The request for one parsed resource: a transaction/batch Bundle is POSTed to the base as it is;
 * another Bundle (collection, searchset) becomes one request per entry resource; a resource with an
 * id is PUT to `Type/id`, one without is POSTed to `Type`.
 */
const requestsFor = (resource: unknown, source: string): SendItem[] => {
  if (!isRecord(resource) || typeof resource.resourceType !== 'string') {
    throw new Error(`${source}: not a FHIR resource (no resourceType)`);
  }
  if (resource.resourceType === 'Bundle') {
    const entries = Array.isArray(resource.entry) ? resource.entry : [];
    if (resource.type === 'transaction' || resource.type === 'batch') {
      return [{ source, method: 'POST', path: '', body: resource, resources: entries.length }];
    }
    return entries.flatMap((entry, index) =>
      isRecord(entry) && entry.resource !== undefined
        ? requestsFor(entry.resource, `${source}#${index}`)
        : [],
    );
  }
  const type = resource.resourceType;
  return typeof resource.id === 'string' && resource.id !== ''
    ? [{ source, method: 'PUT', path: `${type}/${resource.id}`, body: resource, resources: 1 }]
    : [{ source, method: 'POST', path: type, body: resource, resources: 1 }];
};

/** Reads one file into requests: JSON (a resource or Bundle) or NDJSON (one resource per line). */
export const readRequests = async (file: string): Promise<SendItem[]> => {
  const text = await readFile(file, 'utf8');
  const name = basename(file);
  if (extname(file).toLowerCase() !== '.json') {
    return text.split('\n').flatMap((line, index) => {
      if (line.trim() === '') return [];
      const source = `${name}:${index + 1}`;
      return requestsFor(parseJson(line, source), source);
    });
  }
  return requestsFor(parseJson(text, name), name);
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
  const items: SendItem[] = [];
  for (const file of await listFhirFiles(paths)) items.push(...(await readRequests(file)));
  return sendItems(client, items, options);
};

export interface SendOptions {
  readonly parallel?: number;
  readonly retries?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Sends prepared requests with at most `parallel` in flight and retries (see sendResources). */
export const sendItems = async (
  client: FhirApiClient,
  items: readonly SendItem[],
  options: SendOptions = {},
): Promise<SendSummary> => {
  const started = Date.now();
  const byStatus: Record<string, number> = {};
  const failures: SendFailure[] = [];
  let resources = 0;
  let succeeded = 0;
  let failed = 0;
  let next = 0;
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
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    const entryFailures = status >= 200 && status < 300 ? bundleEntryFailures(item, body) : [];
    if (status >= 200 && status < 300) {
      resources += item.resources;
      succeeded += item.resources - entryFailures.length;
      failed += entryFailures.length;
      failures.push(...entryFailures);
    } else {
      resources += item.resources;
      failed += item.resources;
      if (status !== 0) {
        const diagnostics = outcomeDiagnostics(body);
        failures.push({ source: item.source, status, ...(diagnostics ? { diagnostics } : {}) });
      }
    }
    done += 1;
    options.onProgress?.(done, items.length);
  };
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as SendItem;
      next += 1;
      await send(item);
    }
  };
  const parallel = Math.max(1, Math.min(options.parallel ?? 4, items.length || 1));
  await Promise.all(Array.from({ length: parallel }, worker));
  return {
    requests: items.length,
    resources,
    succeeded,
    failed,
    byStatus,
    failures,
    elapsedMs: Date.now() - started,
  };
};
