import { CredentialsError, HealthLakeTransientError } from '../healthlake/errors.js';
import type { HealthLakeResponse } from '../healthlake/types.js';
import { classifyResponse, isStaleCredentialResponse } from './classifyResponse.js';
import { type DeliveryOutcome } from './types.js';
import { failureCause, FailureReason, type FailureCause } from '../messages/failureCause.js';

/** A failed outcome whose cause the connector raised (not an HTTP answer). */
export const failure = (
  kind: 'transient-failure' | 'terminal-failure',
  reason: FailureReason,
  attempt: number,
  now: number,
  extra?: Partial<FailureCause>,
): DeliveryOutcome => ({ kind, cause: failureCause(reason, attempt, now, extra) });

/**
 * Sends one request to HealthLake and classifies the answer (classifyResponse); a request that got no
 * answer, or could not be signed, is a transient failure with its cause. Stale credentials are reported
 * through `deps.credentialsRejected` so the next attempt signs with fresh ones.
 */
export const sendToHealthLake = async (
  operation: 'upsert' | 'delete' | 'transaction',
  send: () => Promise<HealthLakeResponse>,
  endpoint: string,
  attempt: number,
  deps: { credentialsRejected?(endpoint: string): void; now(): number },
): Promise<DeliveryOutcome> => {
  try {
    const response = await send();
    if (isStaleCredentialResponse(response)) deps.credentialsRejected?.(endpoint);
    return classifyResponse(operation, response, attempt, deps.now());
  } catch (error) {
    if (error instanceof HealthLakeTransientError) {
      return failure('transient-failure', error.reason, attempt, deps.now(), { diagnostics: error.message });
    }
    if (error instanceof CredentialsError) {
      const reason = error.accessDenied ? FailureReason.accessDenied : FailureReason.credentials;
      return failure('transient-failure', reason, attempt, deps.now(), { diagnostics: error.message });
    }
    throw error;
  }
};
