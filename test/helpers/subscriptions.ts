import type {
  Extension,
  OperationOutcome,
  OperationOutcomeIssue,
  Subscription,
  SubscriptionChannel,
} from '@medplum/fhirtypes';
import { SUBSCRIPTION_EXTENSIONS } from '../../shared/config/constants.js';
import { OperationOutcomeError } from '../../shared/fhir/outcomes.js';
import {
  parseSubscription,
  type ParseSubscriptionContext,
} from '../../shared/subscriptions/parseSubscription.js';

/** Two well-formed HealthLake data store endpoints (the allow-list of most subscription tests). */
export const DATASTORE_A =
  'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/';
export const DATASTORE_B =
  'https://healthlake.us-east-1.amazonaws.com/datastore/fedcba9876543210fedcba9876543210/r4/';
export const ALLOWED_ENDPOINTS: readonly string[] = [DATASTORE_A, DATASTORE_B];

/** HAPI channel extensions by short name. */
export const channelExtension = {
  sendDeleteMessages: (value: boolean): Extension => ({
    url: SUBSCRIPTION_EXTENSIONS.sendDeleteMessages,
    valueBoolean: value,
  }),
  deliverLatestVersion: (value: boolean): Extension => ({
    url: SUBSCRIPTION_EXTENSIONS.deliverLatestVersion,
    valueBoolean: value,
  }),
  deliveryRetryCount: (value: number): Extension => ({
    url: SUBSCRIPTION_EXTENSIONS.deliveryRetryCount,
    valueInteger: value,
  }),
  stripVersionIds: (value: boolean): Extension => ({
    url: SUBSCRIPTION_EXTENSIONS.stripVersionIds,
    valueBoolean: value,
  }),
};

/**
 * Warnings other than the ones for a missing delete or latest-version extension (which every
 * Subscription without them gets; shared/subscriptions/recommendedExtensions.ts), for tests about others.
 */
export const otherWarnings = (warnings: readonly OperationOutcomeIssue[]): OperationOutcomeIssue[] =>
  warnings.filter(
    (warning) =>
      !(warning.code === 'incomplete' && warning.expression?.[0] === 'Subscription.channel.extension'),
  );

/**
 * A valid submitted Subscription (status `requested`, rest-hook to DATASTORE_A, criteria `[*]`),
 * with overrides merged at the root and in `channel`.
 */
export const makeSubscription = (
  overrides: Partial<Subscription> = {},
  channel: Partial<SubscriptionChannel> = {},
): Subscription => ({
  resourceType: 'Subscription',
  status: 'requested',
  reason: 'Replicate to HealthLake',
  criteria: '[*]',
  ...overrides,
  channel: {
    type: 'rest-hook',
    endpoint: DATASTORE_A,
    payload: 'application/fhir+json',
    ...overrides.channel,
    ...channel,
  },
});

/** parseSubscription's context for a create over ALLOWED_ENDPOINTS, its clock at 2026-06-01T12:00:00Z. */
export const CREATE_CONTEXT: ParseSubscriptionContext = {
  interaction: 'create',
  id: 'new-id',
  allowedEndpoints: ALLOWED_ENDPOINTS,
  now: new Date('2026-06-01T12:00:00Z'),
};

/** The OperationOutcome parseSubscription throws for a rejected submission (fails when it does not throw). */
export const rejectionOf = (
  input: unknown,
  context: ParseSubscriptionContext = CREATE_CONTEXT,
): OperationOutcome => {
  try {
    parseSubscription(input, context);
  } catch (error) {
    if (error instanceof OperationOutcomeError) return error.outcome;
    throw error;
  }
  throw new Error('expected the Subscription to be rejected');
};
