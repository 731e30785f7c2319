import { replicationTargetKey } from '../replication/replicationTargetKey.js';
import type { ActiveSubscription, DeliveryTarget } from './types.js';

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Collapses matching subscriptions into one delivery target per distinct endpoint, so overlapping
 * subscriptions never send the same version to the same data store twice. Subscriptions whose Smile
 * replication settings differ write different copies (ids) and stay separate targets; so do subscriptions
 * with different payload search criteria (each delivers its own search results) or transforms. Deterministic merge:
 * - `id`/`criteria`: the first subscription in id order (the delivery message names one);
 *   `subscriptionIds`: all of them, sorted;
 * - `deliverLatestVersion`, `sendDeleteMessages`: true if any member asks for it;
 * - `stripVersionIds`: true only if every member asks for it (keeping ids loses nothing);
 * - `deliveryRetryCount`: the largest, where an unset member counts as `defaultRetryCount`; unset
 *   when a member is unset and no default is known (the queue's redrive limit then applies);
 * - `sourceCriteria`: every member's, when all of them need the source to confirm; none when one
 *   matched outright (the write goes to the data store anyway).
 * Targets come out sorted by endpoint.
 *
 * @example
 * mergeTargets([a, b]) // two subscriptions on one endpoint -> one target with subscriptionIds [a.id, b.id]
 */
export const mergeTargets = (
  matches: readonly ActiveSubscription[],
  defaultRetryCount?: number,
): DeliveryTarget[] => {
  const groups = new Map<string, ActiveSubscription[]>();
  for (const match of matches) {
    // Subscriptions with different replication settings write different copies: separate targets.
    const key = replicationTargetKey(
      match.endpoint,
      match.replication,
      match.payloadSearchCriteria,
      match.transform,
    );
    const group = groups.get(key);
    if (group) group.push(match);
    else groups.set(key, [match]);
  }
  return [...groups.keys()].sort(byString).map((key) => {
    const members = [...(groups.get(key) ?? [])].sort((a, b) => byString(a.id, b.id));
    const first = members[0] as ActiveSubscription;
    const retries = members.map((member) => member.deliveryRetryCount ?? defaultRetryCount);
    const deliveryRetryCount = retries.every((value): value is number => value !== undefined)
      ? Math.max(...retries)
      : undefined;
    // The source confirms the write unless a member matched outright; then the write goes regardless.
    const sourceCriteria = members.every((member) => member.sourceCriteria !== undefined)
      ? [...new Set(members.flatMap((member) => member.sourceCriteria ?? []))].sort(byString)
      : undefined;
    return {
      id: first.id,
      criteria: first.criteria,
      endpoint: first.endpoint,
      ...(first.replication === undefined ? {} : { replication: first.replication }),
      ...(first.payloadSearchCriteria === undefined
        ? {}
        : { payloadSearchCriteria: first.payloadSearchCriteria }),
      ...(first.transform === undefined ? {} : { transform: first.transform }),
      sendDeleteMessages: members.some((member) => member.sendDeleteMessages),
      deliverLatestVersion: members.some((member) => member.deliverLatestVersion),
      stripVersionIds: members.every((member) => member.stripVersionIds),
      ...(deliveryRetryCount === undefined ? {} : { deliveryRetryCount }),
      ...(sourceCriteria === undefined ? {} : { sourceCriteria }),
      subscriptionIds: members.map((member) => member.id),
    };
  });
};
