import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { CONNECTOR_EXTENSIONS, SMILE_EXTENSIONS, SUBSCRIPTION_EXTENSIONS } from '../config/constants.js';
import { issue } from '../fhir/outcomes.js';
import { checkPayloadSearchCriteria } from '../payloadSearch/checkPayloadSearchCriteria.js';
import { MATCHED_RESOURCE_ID } from '../payloadSearch/constants.js';
import { checkIdSelector } from '../replication/checkIdSelector.js';
import type { ReplicationSettings } from '../replication/types.js';
import { normalizeEndpoint } from './endpoints.js';
import { TRANSFORM_NAME_PATTERN } from './transforms.js';

/** The channel settings the HAPI FHIR and Smile CDR extensions carry, with HAPI's defaults. */
export interface ChannelSettings {
  readonly sendDeleteMessages: boolean;
  readonly deliverLatestVersion: boolean;
  /** Undefined = the deployment's default (the delivery queue's redrive limit). */
  readonly deliveryRetryCount?: number;
  readonly stripVersionIds: boolean;
  /** Smile CDR's replication extensions; undefined when none is given. */
  readonly replication?: ReplicationSettings;
  /** HAPI's subscription-payload-search-criteria (on the Subscription itself); undefined = none. */
  readonly payloadSearchCriteria?: string;
  /** The connector's subscription-transform: the allow-listed transform each resource goes through. */
  readonly transform?: string;
}

/** delivery-retry-count bound: the delivery message allows at most 1000 attempts (retries + 1). */
export const MAX_DELIVERY_RETRY_COUNT = 999;

type Kind = 'boolean' | 'retryCount' | 'idPrefix' | 'selector' | 'baseUrl' | 'payloadSearch' | 'transform';
type SettingKey =
  | 'payloadSearchCriteria'
  | 'transform'
  | 'sendDeleteMessages'
  | 'deliverLatestVersion'
  | 'deliveryRetryCount'
  | 'stripVersionIds'
  | keyof ReplicationSettings;
const KNOWN: ReadonlyMap<string, { key: SettingKey; kind: Kind }> = new Map<
  string,
  { key: SettingKey; kind: Kind }
>([
  [SUBSCRIPTION_EXTENSIONS.sendDeleteMessages, { key: 'sendDeleteMessages', kind: 'boolean' }],
  [SUBSCRIPTION_EXTENSIONS.deliverLatestVersion, { key: 'deliverLatestVersion', kind: 'boolean' }],
  [SUBSCRIPTION_EXTENSIONS.deliveryRetryCount, { key: 'deliveryRetryCount', kind: 'retryCount' }],
  [SUBSCRIPTION_EXTENSIONS.stripVersionIds, { key: 'stripVersionIds', kind: 'boolean' }],
  [SMILE_EXTENSIONS.replicateIdPrefix, { key: 'idPrefix', kind: 'idPrefix' }],
  [SMILE_EXTENSIONS.replicateIdPrefixSelector, { key: 'idPrefixSelector', kind: 'selector' }],
  [SMILE_EXTENSIONS.replicateStripIdPrefix, { key: 'stripIdPrefix', kind: 'idPrefix' }],
  [SMILE_EXTENSIONS.replicateStripReferenceBaseUrl, { key: 'stripReferenceBaseUrl', kind: 'baseUrl' }],
  [SUBSCRIPTION_EXTENSIONS.payloadSearchCriteria, { key: 'payloadSearchCriteria', kind: 'payloadSearch' }],
  [CONNECTOR_EXTENSIONS.transform, { key: 'transform', kind: 'transform' }],
]);

/**
 * Extensions recognised but with nothing to act on here, with why (an informational issue says so).
 * Exported so the README and the tests name the same set.
 */
export const RECOGNISED_EXTENSIONS: ReadonlyMap<string, string> = new Map([
  [
    SMILE_EXTENSIONS.replicateMode,
    'replicate-mode is recognised: this connector always replicates (each version is written with PUT), so it changes nothing',
  ],
  [
    SMILE_EXTENSIONS.deliveryClass,
    "delivery-class is recognised: it names Smile CDR's Java deliverer, and this connector is the deliverer",
  ],
  [
    SMILE_EXTENSIONS.healthLakeSenderModuleId,
    "awshealthlake-sender-module-id is recognised: it names Smile CDR's HealthLake module, which this connector replaces; healthLake.moduleEndpoints maps module ids to data stores",
  ],
]);

/** A prefix must itself be made of FHIR id characters, shorter than an id. */
const PREFIX_PATTERN = /^[A-Za-z0-9\-.]{1,63}$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What reading the extensions found: settings, errors (400), and notes for the response. */
export interface ChannelExtensionReport {
  readonly settings: ChannelSettings;
  /** Problems that make the Subscription invalid. */
  readonly issues: OperationOutcomeIssue[];
  /** Warnings and information: extensions recognised or kept but not acted on. */
  readonly notes: OperationOutcomeIssue[];
}

/**
 * Reads the HAPI and Smile CDR channel extensions from `Subscription.channel.extension` (where they are
 * written) and `Subscription.extension` (also accepted). Returns the settings and, separately, every
 * problem found: a malformed extension, a value of the wrong type, an unsafe or invalid
 * `replicate-id-prefix-selector`, or a known extension given more than once (which one should win would
 * be a guess). Any other extension is kept and listed in a warning note (it is not acted on); Smile's
 * wiring extensions (`delivery-class`, `awshealthlake-sender-module-id`, `replicate-mode`) get an
 * informational note instead. Values written as strings must be coerced first (`coerceExtensionValues`).
 *
 * @example
 * readChannelExtensions(subscription).settings.sendDeleteMessages // false unless the extension says true
 */
export const readChannelExtensions = (subscription: Record<string, unknown>): ChannelExtensionReport => {
  const issues: OperationOutcomeIssue[] = [];
  const notes: OperationOutcomeIssue[] = [];
  const values: Partial<Record<SettingKey, boolean | number | string>> = {};
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
      if (!known) {
        const recognised = RECOGNISED_EXTENSIONS.get(extension.url);
        notes.push(
          recognised
            ? issue('informational', recognised, at, 'information')
            : issue(
                'not-supported',
                `${at}: extension ${extension.url} is kept but not acted on`,
                at,
                'warning',
              ),
        );
        return;
      }
      if (known.kind === 'payloadSearch' && path !== 'Subscription.extension') {
        issues.push(
          issue(
            'invalid',
            `${at}: extension ${extension.url} belongs on Subscription.extension, not on the channel`,
            at,
          ),
        );
        return;
      }
      if (seen.has(extension.url)) {
        issues.push(issue('invalid', `${at}: extension ${extension.url} is given more than once`, at));
        return;
      }
      seen.add(extension.url);
      const problem = readValue(extension, known.kind);
      if (typeof problem === 'string') {
        issues.push(issue('invalid', `${at}: extension ${extension.url} ${problem}`, at));
        return;
      }
      values[known.key] = problem.value;
    });
  }
  const replication: ReplicationSettings = {
    ...(typeof values.idPrefix === 'string' ? { idPrefix: values.idPrefix } : {}),
    ...(typeof values.idPrefixSelector === 'string' ? { idPrefixSelector: values.idPrefixSelector } : {}),
    ...(typeof values.stripIdPrefix === 'string' ? { stripIdPrefix: values.stripIdPrefix } : {}),
    ...(typeof values.stripReferenceBaseUrl === 'string'
      ? { stripReferenceBaseUrl: values.stripReferenceBaseUrl }
      : {}),
  };
  const payloadSearchCriteria =
    typeof values.payloadSearchCriteria === 'string' ? values.payloadSearchCriteria : undefined;
  const transform = typeof values.transform === 'string' ? values.transform : undefined;
  if (payloadSearchCriteria !== undefined && !payloadSearchCriteria.includes(MATCHED_RESOURCE_ID)) {
    notes.push(
      issue(
        'informational',
        `subscription-payload-search-criteria does not use ${MATCHED_RESOURCE_ID}: every matching write delivers the same search results`,
        'Subscription.extension',
        'warning',
      ),
    );
  }
  if (replication.idPrefixSelector !== undefined && replication.idPrefix === undefined) {
    notes.push(
      issue(
        'informational',
        'replicate-id-prefix-selector has no effect without replicate-id-prefix',
        'Subscription.channel.extension',
        'warning',
      ),
    );
  }
  return {
    settings: {
      sendDeleteMessages: values.sendDeleteMessages === true,
      deliverLatestVersion: values.deliverLatestVersion === true,
      ...(typeof values.deliveryRetryCount === 'number'
        ? { deliveryRetryCount: values.deliveryRetryCount }
        : {}),
      stripVersionIds: values.stripVersionIds === true,
      ...(Object.keys(replication).length > 0 ? { replication } : {}),
      ...(payloadSearchCriteria === undefined ? {} : { payloadSearchCriteria }),
      ...(transform === undefined ? {} : { transform }),
    },
    issues,
    notes,
  };
};

/** The extension's value for `kind`, or what is wrong with it (completing "extension {url} ..."). */
const readValue = (
  extension: Record<string, unknown>,
  kind: Kind,
): { value: boolean | number | string } | string => {
  const valueKeys = Object.keys(extension).filter((key) => key.startsWith('value'));
  if (kind === 'boolean') {
    return valueKeys.length === 1 && typeof extension.valueBoolean === 'boolean'
      ? { value: extension.valueBoolean }
      : 'needs exactly one valueBoolean';
  }
  if (kind === 'retryCount') {
    const raw = extension.valueInteger ?? extension.valueUnsignedInt;
    return valueKeys.length === 1 &&
      typeof raw === 'number' &&
      Number.isInteger(raw) &&
      raw >= 0 &&
      raw <= MAX_DELIVERY_RETRY_COUNT
      ? { value: raw }
      : `needs exactly one valueInteger between 0 and ${MAX_DELIVERY_RETRY_COUNT}`;
  }
  const text = extension.valueString;
  if (valueKeys.length !== 1 || typeof text !== 'string' || text === '')
    return 'needs exactly one valueString';
  if (kind === 'idPrefix') {
    return PREFIX_PATTERN.test(text)
      ? { value: text }
      : 'must be 1 to 63 FHIR id characters (A-Z a-z 0-9 - .)';
  }
  if (kind === 'transform') {
    return TRANSFORM_NAME_PATTERN.test(text)
      ? { value: text }
      : 'must name a transform: 1 to 64 letters, digits, _ or -';
  }
  if (kind === 'payloadSearch') {
    const { problem } = checkPayloadSearchCriteria(text);
    return problem === undefined ? { value: text } : problem;
  }
  if (kind === 'baseUrl') {
    return normalizeEndpoint(text) === undefined
      ? 'must be an http(s) URL without query or credentials'
      : { value: text };
  }
  const unsafe = checkIdSelector(text);
  return unsafe === undefined ? { value: text } : `is refused: ${unsafe}`;
};
