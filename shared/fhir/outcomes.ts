import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * FHIR errors are values: factories build an OperationOutcome, `OperationOutcomeError` carries one
 * through `throw`, `toOutcome` turns anything thrown into one, and `httpStatusOf` maps it to HTTP.
 * Diagnostics must never contain resource content (PHI): name the element, not its value.
 */
export type IssueCode = OperationOutcomeIssue['code'];

/** One issue (severity `error` unless given), for outcomes that report several problems at once. */
export const issue = (
  code: IssueCode,
  diagnostics: string,
  expression?: string | string[],
  severity: OperationOutcomeIssue['severity'] = 'error',
): OperationOutcomeIssue => ({
  severity,
  code,
  diagnostics,
  ...(expression === undefined ? {} : { expression: [expression].flat() }),
});

export const outcome = (
  code: IssueCode,
  diagnostics: string,
  options: {
    expression?: string | string[];
    severity?: OperationOutcomeIssue['severity'];
    status?: number;
  } = {},
): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  ...(options.status === undefined ? {} : { id: String(options.status) }),
  issue: [issue(code, diagnostics, options.expression, options.severity)],
});

/** A 400 outcome carrying every issue found (validation reports all problems, not just the first). */
export const invalidOutcome = (issues: OperationOutcomeIssue[]): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  id: '400',
  issue: issues,
});

export const allOk = (diagnostics = 'All OK'): OperationOutcome =>
  outcome('informational', diagnostics, { severity: 'information', status: 200 });
export const badRequest = (diagnostics: string, expression?: string | string[]): OperationOutcome =>
  outcome('invalid', diagnostics, { expression, status: 400 });
export const notSupported = (diagnostics: string, expression?: string | string[], status = 400) =>
  outcome('not-supported', diagnostics, { expression, status });
export const unauthorized = (diagnostics = 'Authentication required'): OperationOutcome =>
  outcome('login', diagnostics, { status: 401 });
export const forbidden = (diagnostics = 'Forbidden'): OperationOutcome =>
  outcome('forbidden', diagnostics, { status: 403 });
export const notFound = (diagnostics = 'Not found'): OperationOutcome =>
  outcome('not-found', diagnostics, { status: 404 });
export const methodNotAllowed = (diagnostics: string): OperationOutcome =>
  outcome('not-supported', diagnostics, { status: 405 });
export const conflict = (diagnostics: string): OperationOutcome =>
  outcome('conflict', diagnostics, { status: 409 });
export const preconditionFailed = (diagnostics: string): OperationOutcome =>
  outcome('conflict', diagnostics, { status: 412 });
export const gone = (diagnostics: string): OperationOutcome =>
  outcome('deleted', diagnostics, { status: 410 });
export const payloadTooLarge = (diagnostics: string): OperationOutcome =>
  outcome('too-costly', diagnostics, { status: 413 });
export const unsupportedMediaType = (diagnostics: string): OperationOutcome =>
  outcome('not-supported', diagnostics, { status: 415 });
export const unprocessable = (diagnostics: string, expression?: string | string[]): OperationOutcome =>
  outcome('processing', diagnostics, { expression, status: 422 });
export const tooManyRequests = (diagnostics = 'Too many requests'): OperationOutcome =>
  outcome('throttled', diagnostics, { status: 429 });
export const serverError = (diagnostics = 'Internal server error'): OperationOutcome =>
  outcome('exception', diagnostics, { status: 500 });
export const serviceUnavailable = (diagnostics: string): OperationOutcome =>
  outcome('transient', diagnostics, { status: 503 });

/** Carries an OperationOutcome (and its HTTP status) through `throw`. */
export class OperationOutcomeError extends Error {
  public readonly outcome: OperationOutcome;
  public constructor(outcome: OperationOutcome, cause?: unknown) {
    super(outcome.issue?.[0]?.diagnostics ?? 'OperationOutcomeError', { cause });
    this.name = 'OperationOutcomeError';
    this.outcome = outcome;
  }
}

/** The HTTP status an outcome stands for (factories record it in `id`), defaulting by issue code. */
export const httpStatusOf = (value: OperationOutcome): number => {
  const fromId = Number(value.id);
  if (Number.isInteger(fromId) && fromId >= 200 && fromId < 600) return fromId;
  switch (value.issue?.[0]?.code) {
    case 'informational':
      return 200;
    case 'login':
      return 401;
    case 'forbidden':
      return 403;
    case 'not-found':
      return 404;
    case 'conflict':
      return 409;
    case 'deleted':
      return 410;
    case 'throttled':
      return 429;
    case 'exception':
      return 500;
    case 'transient':
      return 503;
    default:
      return 400;
  }
};

/** Any thrown value as an outcome. Unknown errors become a 500 without their message (it may hold PHI). */
export const toOutcome = (error: unknown): OperationOutcome =>
  error instanceof OperationOutcomeError ? error.outcome : serverError();

/** An outcome without the bookkeeping `id` the factories use for the status, ready to send. */
export const forResponse = (value: OperationOutcome): OperationOutcome => {
  const { id: _id, ...rest } = value;
  return rest;
};
