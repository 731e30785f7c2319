import { allowListedIssue } from '../healthlake/allowListedIssue.js';
import type { HealthLakeResponse } from '../healthlake/types.js';
import { type DeliveryOutcome } from './types.js';
import { FailureReason, type FailureCause } from '../messages/failureCause.js';

/** AWS error types that mean "your credentials are stale", not "you may never do this". */
const STALE_CREDENTIAL_ERRORS: ReadonlySet<string | undefined> = new Set([
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

/** True when HealthLake rejected the request's credentials as expired or unknown: refresh, then retry. */
export const isStaleCredentialResponse = (response: HealthLakeResponse): boolean =>
  (response.status === 401 || response.status === 403) && STALE_CREDENTIAL_ERRORS.has(response.errorType);

/**
 * True for a 401/403 that is not about stale credentials: HealthLake refuses this caller (IAM policy,
 * KMS key policy), a configuration fault that every message would hit.
 */
export const isAccessDeniedResponse = (response: HealthLakeResponse): boolean =>
  (response.status === 401 || response.status === 403) && !isStaleCredentialResponse(response);

/** An AWS error type name (`ThrottlingException`); anything else in the header is not kept. */
const ERROR_TYPE = /^[A-Za-z][A-Za-z0-9]{0,127}$/;

const causeOf = (response: HealthLakeResponse, attempt: number, now: number): FailureCause => {
  // HealthLake's diagnostics may echo the resource (a shared data store's content too): only the
  // allow-listed form of its first issue reaches a log or the dead-letter cause.
  const issue = allowListedIssue(response.outcome?.issue?.[0]);
  return {
    reason: isAccessDeniedResponse(response) ? FailureReason.accessDenied : FailureReason.httpStatus,
    status: response.status,
    attempt,
    at: new Date(now).toISOString(),
    ...(issue.code ? { issueCode: issue.code } : {}),
    ...(issue.diagnostics ? { diagnostics: issue.diagnostics } : {}),
    ...(response.errorType && ERROR_TYPE.test(response.errorType) ? { errorType: response.errorType } : {}),
    ...(response.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: response.retryAfterSeconds }),
  };
};

/**
 * HealthLake's answer as a delivery outcome:
 * 2xx done; DELETE 404/410 done (idempotent); 400 `not-supported` dropped (for a transaction Bundle:
 * terminal, since dropping it would drop the supported resources with it); 408, 429, 5xx, stale
 * credentials and access denied (401/403: a configuration fault, not the message's) transient; every
 * other 4xx terminal. A transaction's 2xx is `delivered`.
 */
export const classifyResponse = (
  operation: 'upsert' | 'delete' | 'transaction',
  response: HealthLakeResponse,
  attempt: number,
  /** Epoch ms, for the cause's timestamp. */
  now: number,
): DeliveryOutcome => {
  const { status, latencyMs: healthLakeLatencyMs } = response;
  if (status >= 200 && status < 300) {
    return { kind: operation === 'delete' ? 'deleted' : 'delivered', status, healthLakeLatencyMs };
  }
  if (operation === 'delete' && (status === 404 || status === 410)) {
    return { kind: 'deleted', status, healthLakeLatencyMs };
  }
  if (
    operation !== 'transaction' &&
    status === 400 &&
    response.outcome?.issue?.some((issue) => issue.code === 'not-supported')
  ) {
    return { kind: 'not-supported-dropped', status, healthLakeLatencyMs };
  }
  const cause = causeOf(response, attempt, now);
  if (status === 408 || status === 429 || status >= 500 || status === 401 || status === 403) {
    return { kind: 'transient-failure', cause, healthLakeLatencyMs };
  }
  return { kind: 'terminal-failure', cause, healthLakeLatencyMs };
};
