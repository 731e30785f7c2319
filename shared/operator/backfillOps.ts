import type { ApiResponse, FhirApiClient } from './FhirApiClient.js';

/** The `Parameters` body of `$trigger-subscription` (HAPI FHIR's shape). */
const triggerParameters = (input: {
  searchUrls?: readonly string[];
  resourceIds?: readonly string[];
}): Record<string, unknown> => ({
  resourceType: 'Parameters',
  parameter: [
    ...(input.resourceIds ?? []).map((value) => ({ name: 'resourceId', valueUri: value })),
    ...(input.searchUrls ?? []).map((value) => ({ name: 'searchUrl', valueString: value })),
  ],
});

export interface StartedBackfill {
  readonly response: ApiResponse;
  /** Job id, from the response (Parameters `jobId`/ body `jobId`) or the Content-Location. */
  readonly jobId?: string;
  /** Where the job's status is read (Content-Location), absolute or relative to the base. */
  readonly location?: string;
}

/** Job path relative to the FHIR base: `$backfill-job/{jobId}` (shared/backfill/constants.ts). */
const jobPath = (jobId: string): string => `$backfill-job/${encodeURIComponent(jobId)}`;

const findString = (body: unknown, name: string): string | undefined => {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record[name] === 'string') return record[name];
  if (record.resourceType === 'Parameters' && Array.isArray(record.parameter)) {
    for (const parameter of record.parameter as Record<string, unknown>[]) {
      if (parameter.name !== name) continue;
      for (const [key, value] of Object.entries(parameter)) {
        if (key.startsWith('value') && (typeof value === 'string' || typeof value === 'number')) {
          return String(value);
        }
      }
    }
  }
  return undefined;
};

/** `POST Subscription/{id}/$trigger-subscription`; a 202 names the job in Content-Location. */
export const startBackfill = async (
  client: FhirApiClient,
  subscriptionId: string,
  input: { searchUrls?: readonly string[]; resourceIds?: readonly string[] },
): Promise<StartedBackfill> => {
  const response = await client.request(
    'POST',
    `Subscription/${encodeURIComponent(subscriptionId)}/$trigger-subscription`,
    triggerParameters(input),
  );
  const location = response.headers.get('content-location') ?? response.headers.get('location') ?? undefined;
  const jobId =
    findString(response.body, 'jobId') ??
    (location ? decodeURIComponent(location.replace(/\/+$/, '').split('/').pop() ?? '') : undefined);
  return { response, ...(jobId ? { jobId } : {}), ...(location ? { location } : {}) };
};

/** A job's progress as the CLI shows it, read tolerantly from JSON or a Parameters resource. */
export interface JobView {
  readonly jobId: string;
  readonly state: string;
  readonly read: number;
  readonly matched: number;
  readonly enqueued: number;
  readonly skipped: number;
  readonly failed: number;
  readonly streams?: number;
  readonly streamsDone?: number;
  readonly reason?: string;
  readonly final: boolean;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

const toJobView = (jobId: string, body: unknown): JobView => {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const counts = (
    typeof record.counts === 'object' && record.counts !== null ? record.counts : record
  ) as Record<string, unknown>;
  const number = (name: string): number => {
    const direct = counts[name];
    if (typeof direct === 'number') return direct;
    const fromParameters = Number(findString(body, name));
    return Number.isFinite(fromParameters) ? fromParameters : 0;
  };
  const state = findString(body, 'state') ?? findString(body, 'status') ?? 'unknown';
  const fromParameters = (name: string): number | undefined => {
    const value = findString(body, name);
    return value === undefined || !Number.isFinite(Number(value)) ? undefined : Number(value);
  };
  const streams = Array.isArray(record.streams) ? record.streams.length : fromParameters('streamCount');
  const streamsDone = fromParameters('streamsDone');
  const reason = findString(body, 'reason');
  return {
    jobId: findString(body, 'jobId') ?? jobId,
    state,
    read: number('read'),
    matched: number('matched'),
    enqueued: number('enqueued'),
    skipped: number('skipped'),
    failed: number('failed'),
    ...(streams === undefined ? {} : { streams }),
    ...(streamsDone === undefined ? {} : { streamsDone }),
    ...(reason ? { reason } : {}),
    final: FINAL.has(state),
  };
};

export const getBackfillJob = async (client: FhirApiClient, jobIdOrLocation: string) => {
  const path = /^https?:|\//.test(jobIdOrLocation) ? jobIdOrLocation : jobPath(jobIdOrLocation);
  const response = await client.request('GET', path);
  const jobId = decodeURIComponent(jobIdOrLocation.replace(/\/+$/, '').split('/').pop() ?? jobIdOrLocation);
  return { response, job: response.status === 200 ? toJobView(jobId, response.body) : undefined };
};

export const cancelBackfillJob = (client: FhirApiClient, jobIdOrLocation: string): Promise<ApiResponse> =>
  client.request('DELETE', /^https?:|\//.test(jobIdOrLocation) ? jobIdOrLocation : jobPath(jobIdOrLocation));
