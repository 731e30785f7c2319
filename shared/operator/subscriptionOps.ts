import { SUBSCRIPTION_EXTENSIONS } from '../config/constants.js';
import { readChannelExtensions } from '../subscriptions/channelExtensions.js';
import { missingRecommended } from '../subscriptions/recommendedExtensions.js';
import type { ApiResponse, FhirApiClient } from './FhirApiClient.js';

/** Options of `hlc subscriptions create`. */
export interface NewSubscription {
  /** Client-assigned id (PUT); omitted = server-assigned (POST). */
  readonly id?: string;
  /** `[*]`, `[Patient,Observation]` or `Type?params`. */
  readonly criteria: string;
  /** HealthLake data store endpoint (must be on the deployment's allow-list). */
  readonly endpoint: string;
  readonly reason?: string;
  readonly sendDeleteMessages?: boolean;
  readonly deliverLatestVersion?: boolean;
  readonly deliveryRetryCount?: number;
  readonly stripVersionIds?: boolean;
  /** HAPI subscription-payload-search-criteria (on the Subscription itself): deliver this search's results. */
  readonly payloadSearchCriteria?: string;
}

/** Builds the FHIR R4 rest-hook Subscription a client submits (status `requested`). */
const buildSubscription = (input: NewSubscription): Record<string, unknown> => {
  const extension: Record<string, unknown>[] = [
    { url: SUBSCRIPTION_EXTENSIONS.sendDeleteMessages, valueBoolean: input.sendDeleteMessages ?? true },
    { url: SUBSCRIPTION_EXTENSIONS.deliverLatestVersion, valueBoolean: input.deliverLatestVersion ?? true },
  ];
  if (input.deliveryRetryCount !== undefined) {
    extension.push({
      url: SUBSCRIPTION_EXTENSIONS.deliveryRetryCount,
      valueInteger: input.deliveryRetryCount,
    });
  }
  if (input.stripVersionIds !== undefined) {
    extension.push({ url: SUBSCRIPTION_EXTENSIONS.stripVersionIds, valueBoolean: input.stripVersionIds });
  }
  return {
    resourceType: 'Subscription',
    ...(input.id ? { id: input.id } : {}),
    status: 'requested',
    reason: input.reason ?? 'Replicate to Amazon HealthLake',
    criteria: input.criteria,
    ...(input.payloadSearchCriteria === undefined
      ? {}
      : {
          extension: [
            { url: SUBSCRIPTION_EXTENSIONS.payloadSearchCriteria, valueString: input.payloadSearchCriteria },
          ],
        }),
    channel: {
      type: 'rest-hook',
      endpoint: input.endpoint,
      payload: 'application/fhir+json',
      extension,
    },
  };
};

export const listSubscriptions = (client: FhirApiClient): Promise<ApiResponse> =>
  client.request('GET', 'Subscription');
export const getSubscription = (client: FhirApiClient, id: string): Promise<ApiResponse> =>
  client.request('GET', `Subscription/${encodeURIComponent(id)}`);
export const createSubscription = (client: FhirApiClient, input: NewSubscription): Promise<ApiResponse> =>
  input.id
    ? client.request('PUT', `Subscription/${encodeURIComponent(input.id)}`, buildSubscription(input))
    : client.request('POST', 'Subscription', buildSubscription(input));
export const deleteSubscription = (client: FhirApiClient, id: string): Promise<ApiResponse> =>
  client.request('DELETE', `Subscription/${encodeURIComponent(id)}`);

/** `POST [base]/$explain-subscriptions` with a resource: which active Subscriptions it matches and why not. */
export const explainSubscriptions = (client: FhirApiClient, resource: unknown): Promise<ApiResponse> =>
  client.request('POST', '$explain-subscriptions', resource);

/**
 * One line per Subscription of an `$explain-subscriptions` answer: id, `matches` or `does not match:` the
 * first criterion that failed, and what the source server decides. Names only; the resource is not shown.
 */
export const formatExplanation = (body: unknown): string[] => {
  const parameters = (body as { parameter?: { name?: string; part?: Record<string, unknown>[] }[] })
    ?.parameter;
  return (parameters ?? [])
    .filter((parameter) => parameter.name === 'subscription')
    .map((parameter) => {
      const parts = parameter.part ?? [];
      const value = (name: string) => parts.find((part) => part.name === name);
      const id = String(value('id')?.valueId ?? '?');
      const criteria = String(value('criteria')?.valueString ?? '');
      const bySource = parts
        .filter((part) => part.name === 'decidedBySource')
        .map((part) => part.valueString);
      const verdict =
        value('matched')?.valueBoolean === true
          ? bySource.length > 0
            ? `matches in memory; the source server decides ${bySource.join(', ')}`
            : 'matches'
          : `does not match: ${String(value('failed')?.valueString ?? '?')}`;
      return `${id}  ${criteria}  ${verdict}`;
    });
};

/** Subscriptions from a searchset Bundle (or a single Subscription). */
export const subscriptionsOf = (body: unknown): Record<string, unknown>[] => {
  if (typeof body !== 'object' || body === null) return [];
  const resource = body as { resourceType?: string; entry?: { resource?: Record<string, unknown> }[] };
  if (resource.resourceType === 'Subscription') return [body as Record<string, unknown>];
  return (resource.entry ?? [])
    .map((entry) => entry.resource)
    .filter((entry): entry is Record<string, unknown> => entry?.resourceType === 'Subscription');
};

/**
 * One line per subscription: id, status, criteria, endpoint, error, and a warning naming each of the
 * delete and latest-version extensions it lacks and what that costs (no PHI lives in a Subscription).
 */
export const formatSubscription = (subscription: Record<string, unknown>): string => {
  const channel = (subscription.channel ?? {}) as { endpoint?: string };
  const parts = [
    String(subscription.id ?? '?'),
    String(subscription.status ?? '?'),
    String(subscription.criteria ?? ''),
    channel.endpoint ?? '',
  ];
  if (subscription.error) parts.push(`error: ${String(subscription.error)}`);
  const missing = missingRecommended(readChannelExtensions(subscription).settings);
  if (missing.length > 0) {
    parts.push(
      `warning: without ${missing.map((extension) => `${extension.name} (${extension.short})`).join(', ')}`,
    );
  }
  return parts.join('  ');
};
