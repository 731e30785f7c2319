import type { CompiledCriteria } from '../criteria/types.js';
import { OperationOutcomeError } from '../fhir/outcomes.js';
import { parseSubscription } from './parseSubscription.js';
import type { SubscriptionStore } from './SubscriptionStore.js';
import type { SubscriptionLogger, SubscriptionStatus } from './types.js';

export interface RevalidateOptions {
  readonly store: SubscriptionStore;
  readonly allowedEndpoints: readonly string[];
  readonly now?: Date;
  readonly compile?: (criteria: string) => CompiledCriteria;
  readonly logger?: SubscriptionLogger;
}

export interface RevalidateChange {
  readonly id: string;
  readonly from: SubscriptionStatus;
  readonly to: SubscriptionStatus;
  /** Subscription.error when the subscription went to `error`. */
  readonly reason?: string;
}

/**
 * Re-checks every stored `active` and `error` subscription against the current configuration
 * (allow-list, criteria support) and records the outcome in the resource, which is where the server
 * reports it (R4 `status` + `error`):
 * - an `active` one that can no longer be honoured becomes `error`, with the reasons (element names
 *   and parameters, never values) in `Subscription.error`;
 * - an `error` one that passes again becomes `active` (every `error` was set by the server, so a
 *   configuration fix is enough to resume it).
 * `requested`/`off` ones are left alone. Run it where configuration changes take effect (deploy,
 * local start), next to `ensureAutoManagedSubscription`. Conditional on the version read, so a
 * concurrent client update wins (that subscription is reported as skipped in the logs).
 *
 * @example
 * const changes = await revalidateSubscriptions({ store, allowedEndpoints });
 */
export const revalidateSubscriptions = async (options: RevalidateOptions): Promise<RevalidateChange[]> => {
  const changes: RevalidateChange[] = [];
  for (const stored of await options.store.list()) {
    if (stored.status !== 'active' && stored.status !== 'error') continue;
    let next: { status: SubscriptionStatus; reason?: string };
    let resource;
    try {
      resource = parseSubscription(stored, {
        interaction: 'update',
        id: stored.id,
        allowedEndpoints: options.allowedEndpoints,
        previousStatus: stored.status,
        ...(options.now ? { now: options.now } : {}),
        ...(options.compile ? { compile: options.compile } : {}),
      }).resource;
      next = { status: resource.status };
    } catch (error) {
      if (!(error instanceof OperationOutcomeError)) throw error;
      const reason = (error.outcome.issue ?? [])
        .map((issue) => issue.diagnostics ?? issue.code)
        .join('; ')
        .slice(0, 1000);
      const { meta: _meta, ...rest } = stored;
      resource = { ...rest, status: 'error' as const, error: reason };
      next = { status: 'error', reason };
    }
    if (next.status === stored.status && next.status !== 'error') continue;
    try {
      const saved = await options.store.save(resource, {
        condition: { kind: 'version', versionId: stored.meta.versionId },
        ...(options.now ? { now: options.now } : {}),
      });
      if (!saved.changed) continue;
      changes.push({
        id: stored.id,
        from: stored.status,
        to: next.status,
        ...(next.reason ? { reason: next.reason } : {}),
      });
      options.logger?.warn('Subscription status changed by revalidation', {
        subscriptionId: stored.id,
        from: stored.status,
        to: next.status,
      });
    } catch (error) {
      if (!(error instanceof OperationOutcomeError)) throw error;
      options.logger?.info('Subscription changed concurrently; revalidation skipped it', {
        subscriptionId: stored.id,
      });
    }
  }
  return changes;
};
