import { OUTCOMES, type Outcome } from '../reconcile/types.js';
import type { ApiResponse, FhirApiClient } from './FhirApiClient.js';

/** What `hlc reconcile start` sends as `$reconcile` parameters. */
export interface ReconcileRequest {
  readonly subscriptionId: string;
  readonly mode?: string;
  readonly resourceTypes?: readonly string[];
  readonly resourceIds?: readonly string[];
  readonly searchUrls?: readonly string[];
  readonly since?: string;
  readonly until?: string;
  readonly contentHash?: boolean;
  readonly pruneConfirmation?: number;
  readonly compareJobId?: string;
}

/** The outcome columns of a report, in order. */
export const REPORT_COLUMNS = OUTCOMES;
export type ReportColumn = Outcome;

/** Column headings of the text report. */
const COLUMN_LABELS: Record<ReportColumn, string> = {
  inSync: 'in sync',
  missing: 'missing',
  stale: 'stale',
  onlyInHealthLake: 'only in HL',
  pinned: 'pinned',
  repaired: 'repaired',
  pinnedReset: 'pin reset',
  pruned: 'pruned',
  invalidAtSource: 'invalid',
  versionConflict: 'conflict',
  unconfirmed: 'unconfirmed',
  outOfScope: 'out of scope',
};

/** A reconcile job's report as the CLI shows it. */
export interface ReconcileView {
  readonly jobId: string;
  readonly mode: string;
  readonly state: string;
  readonly final: boolean;
  readonly reason?: string;
  readonly streams: number;
  readonly streamsDone: number;
  readonly total: Record<ReportColumn, number>;
  readonly byType: readonly ({ readonly resourceType: string } & Record<ReportColumn, number>)[];
  /** `{outcome} {Type/id}` sample ids. */
  readonly samples: readonly string[];
  readonly idLists?: string;
}

interface Parameter {
  name?: string;
  valueString?: string;
  valueCode?: string;
  valueUrl?: string;
  valueUnsignedInt?: number;
  valueReference?: { reference?: string };
  part?: Parameter[];
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const jobPath = (jobId: string): string => `$reconcile-job/${encodeURIComponent(jobId)}`;
const pathOf = (ref: string): string => (/^https?:|\//.test(ref) ? ref : jobPath(ref));

const tally = (parts: readonly Parameter[] = []): Record<ReportColumn, number> =>
  Object.fromEntries(
    REPORT_COLUMNS.map((column) => [column, parts.find((p) => p.name === column)?.valueUnsignedInt ?? 0]),
  ) as Record<ReportColumn, number>;

/** Reads the report Parameters of `GET $reconcile-job/{id}`. */
export const toReconcileView = (body: unknown): ReconcileView => {
  const parameters = ((body as { parameter?: Parameter[] })?.parameter ?? []) as Parameter[];
  const get = (name: string) => parameters.find((p) => p.name === name);
  const state = get('state')?.valueCode ?? 'unknown';
  const reason = get('reason')?.valueString;
  const idLists = get('idLists')?.valueUrl;
  return {
    jobId: get('jobId')?.valueString ?? '?',
    mode: get('mode')?.valueCode ?? '?',
    state,
    final: FINAL.has(state),
    ...(reason ? { reason } : {}),
    streams: get('streamCount')?.valueUnsignedInt ?? 0,
    streamsDone: get('streamsDone')?.valueUnsignedInt ?? 0,
    total: tally(get('total')?.part),
    byType: parameters
      .filter((p) => p.name === 'type')
      .map((p) => ({
        resourceType: p.part?.find((part) => part.name === 'resourceType')?.valueCode ?? '?',
        ...tally(p.part),
      })),
    samples: parameters
      .filter((p) => p.name === 'sample')
      .map((p) => `${p.part?.[0]?.valueCode ?? '?'} ${p.part?.[1]?.valueReference?.reference ?? '?'}`),
    ...(idLists ? { idLists } : {}),
  };
};

/** `POST $reconcile`; a 202 names the job (Parameters `jobId`) and its status URL (Content-Location). */
export const startReconcile = async (
  client: FhirApiClient,
  request: ReconcileRequest,
): Promise<{ response: ApiResponse; jobId?: string; location?: string }> => {
  const parameter: Record<string, unknown>[] = [
    { name: 'subscription', valueString: request.subscriptionId },
    ...(request.mode ? [{ name: 'mode', valueCode: request.mode }] : []),
    ...(request.resourceTypes ?? []).map((value) => ({ name: 'resourceType', valueCode: value })),
    ...(request.resourceIds ?? []).map((value) => ({ name: 'resourceId', valueString: value })),
    ...(request.searchUrls ?? []).map((value) => ({ name: 'searchUrl', valueString: value })),
    ...(request.since ? [{ name: 'since', valueDateTime: request.since }] : []),
    ...(request.until ? [{ name: 'until', valueDateTime: request.until }] : []),
    ...(request.contentHash ? [{ name: 'contentHash', valueBoolean: true }] : []),
    ...(request.pruneConfirmation === undefined
      ? []
      : [{ name: 'pruneConfirmation', valueUnsignedInt: request.pruneConfirmation }]),
    ...(request.compareJobId ? [{ name: 'compareJob', valueString: request.compareJobId }] : []),
  ];
  const response = await client.request('POST', '$reconcile', { resourceType: 'Parameters', parameter });
  const location = response.headers.get('content-location') ?? undefined;
  const jobId = ((response.body as { parameter?: Parameter[] })?.parameter ?? []).find(
    (p) => p.name === 'jobId',
  )?.valueString;
  return { response, ...(jobId ? { jobId } : {}), ...(location ? { location } : {}) };
};

export const getReconcileJob = async (client: FhirApiClient, jobRef: string) => {
  const response = await client.request('GET', pathOf(jobRef));
  return { response, view: response.status === 200 ? toReconcileView(response.body) : undefined };
};

export const cancelReconcileJob = (client: FhirApiClient, jobRef: string): Promise<ApiResponse> =>
  client.request('DELETE', pathOf(jobRef));

/** The report as a text table: one row per type and a total, then sample ids. */
export const formatReconcileReport = (view: ReconcileView): string[] => {
  const headers = ['type', ...REPORT_COLUMNS.map((column) => COLUMN_LABELS[column])];
  const rows = [
    ...view.byType.map((row) => [row.resourceType, ...REPORT_COLUMNS.map((column) => String(row[column]))]),
    ['total', ...REPORT_COLUMNS.map((column) => String(view.total[column]))],
  ];
  const widths = headers.map((header, index) =>
    Math.max(header.length, ...rows.map((row) => row[index]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!)))
      .join('  ');
  return [
    `job ${view.jobId}  mode ${view.mode}  ${view.state}  streams ${view.streamsDone}/${view.streams}${view.reason ? `  reason: ${view.reason}` : ''}`,
    line(headers),
    ...rows.map(line),
    ...(view.samples.length > 0 ? ['samples:', ...view.samples.map((sample) => `  ${sample}`)] : []),
    ...(view.idLists ? [`full id lists: ${view.idLists}`] : []),
  ];
};
