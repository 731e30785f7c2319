import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { SUBSCRIPTION_EXTENSIONS } from '../config/constants.js';
import { issue } from '../fhir/outcomes.js';

/** The channel settings the HAPI FHIR extensions carry, with HAPI's defaults. */
export interface ChannelSettings {
  readonly sendDeleteMessages: boolean;
  readonly deliverLatestVersion: boolean;
  /** Undefined = the deployment's default (the delivery queue's redrive limit). */
  readonly deliveryRetryCount?: number;
  readonly stripVersionIds: boolean;
}

/** delivery-retry-count bound: the delivery message allows at most 1000 attempts (retries + 1). */
export const MAX_DELIVERY_RETRY_COUNT = 999;

type Kind = 'boolean' | 'retryCount';
const KNOWN: ReadonlyMap<string, { key: keyof ChannelSettings; kind: Kind }> = new Map([
  [SUBSCRIPTION_EXTENSIONS.sendDeleteMessages, { key: 'sendDeleteMessages', kind: 'boolean' }],
  [SUBSCRIPTION_EXTENSIONS.deliverLatestVersion, { key: 'deliverLatestVersion', kind: 'boolean' }],
  [SUBSCRIPTION_EXTENSIONS.deliveryRetryCount, { key: 'deliveryRetryCount', kind: 'retryCount' }],
  [SUBSCRIPTION_EXTENSIONS.stripVersionIds, { key: 'stripVersionIds', kind: 'boolean' }],
]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads the HAPI channel extensions from `Subscription.channel.extension` (where HAPI writes them)
 * and `Subscription.extension` (also accepted). Returns the settings and, separately, every problem
 * found: a malformed extension, a value of the wrong type, or a known extension given more than once
 * (in either place: which one should win would be a guess). Unknown extensions are ignored (kept).
 *
 * @example
 * readChannelExtensions(subscription).settings.sendDeleteMessages // false unless the extension says true
 */
export const readChannelExtensions = (
  subscription: Record<string, unknown>,
): { settings: ChannelSettings; issues: OperationOutcomeIssue[] } => {
  const issues: OperationOutcomeIssue[] = [];
  const values: {
    sendDeleteMessages?: boolean;
    deliverLatestVersion?: boolean;
    deliveryRetryCount?: number;
    stripVersionIds?: boolean;
  } = {};
  const seen = new Set<string>();
  const channel = subscription.channel;
  const places: [unknown, string][] = [
    [isObject(channel) ? channel.extension : undefined, 'Subscription.channel.extension'],
    [subscription.extension, 'Subscription.extension'],
  ];
  for (const [list, path] of places) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      issues.push(issue('invalid', `${path} must be an array`, path));
      continue;
    }
    list.forEach((extension: unknown, index) => {
      const at = `${path}[${index}]`;
      if (!isObject(extension) || typeof extension.url !== 'string' || extension.url === '') {
        issues.push(issue('invalid', `${at} must be an object with a url`, at));
        return;
      }
      const known = KNOWN.get(extension.url);
      if (!known) return;
      const valueKeys = Object.keys(extension).filter((key) => key.startsWith('value'));
      if (seen.has(extension.url)) {
        issues.push(issue('invalid', `${at}: extension ${extension.url} is given more than once`, at));
        return;
      }
      seen.add(extension.url);
      if (known.kind === 'boolean') {
        if (valueKeys.length !== 1 || typeof extension.valueBoolean !== 'boolean') {
          issues.push(
            issue('invalid', `${at}: extension ${extension.url} needs exactly one valueBoolean`, at),
          );
          return;
        }
        values[known.key as 'sendDeleteMessages'] = extension.valueBoolean;
        return;
      }
      const raw = extension.valueInteger ?? extension.valueUnsignedInt;
      if (
        valueKeys.length !== 1 ||
        typeof raw !== 'number' ||
        !Number.isInteger(raw) ||
        raw < 0 ||
        raw > MAX_DELIVERY_RETRY_COUNT
      ) {
        issues.push(
          issue(
            'invalid',
            `${at}: extension ${extension.url} needs exactly one valueInteger between 0 and ${MAX_DELIVERY_RETRY_COUNT}`,
            at,
          ),
        );
        return;
      }
      values.deliveryRetryCount = raw;
    });
  }
  return {
    settings: {
      sendDeleteMessages: values.sendDeleteMessages ?? false,
      deliverLatestVersion: values.deliverLatestVersion ?? false,
      ...(values.deliveryRetryCount === undefined ? {} : { deliveryRetryCount: values.deliveryRetryCount }),
      stripVersionIds: values.stripVersionIds ?? false,
    },
    issues,
  };
};
