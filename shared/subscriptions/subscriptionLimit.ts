import { createHash } from 'node:crypto';
import { OperationOutcomeError, outcome } from '../fhir/outcomes.js';

/**
 * How long a reservation of a Subscription slot may go unconfirmed before a later create may reclaim
 * it: longer than any invocation that creates a Subscription (Lambda runs at most 15 minutes), so an
 * in-flight create is never reclaimed; only one that crashed between reserving and writing.
 */
export const RESERVATION_TTL_MS = 20 * 60 * 1000;

/**
 * The key of a Subscription in the limit item's member map: a digest of its id, so that 10,000
 * members of 64-character ids still fit one 400 KB DynamoDB item.
 */
export const memberKey = (id: string): string =>
  `s${createHash('sha256').update(id).digest('base64url').slice(0, 16)}`;

/**
 * The 422 for a create past `subscriptions.maxCount`. Every active Subscription is evaluated on every
 * write, so an unbounded number would make ingest slower and costlier for everyone.
 */
export const subscriptionLimitReached = (count: number, max: number): OperationOutcomeError =>
  new OperationOutcomeError(
    outcome(
      'business-rule',
      `This deployment already has ${count} Subscriptions, the most allowed (subscriptions.maxCount, ${max}): delete one, or raise the limit`,
      { status: 422 },
    ),
  );
