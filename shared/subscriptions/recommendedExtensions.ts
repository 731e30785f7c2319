import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { SUBSCRIPTION_EXTENSIONS } from '../config/constants.js';
import { issue } from '../fhir/outcomes.js';
import type { ChannelSettings } from './channelExtensions.js';

/** One channel extension a HealthLake Subscription should carry set to true, and what is lost without it. */
export interface RecommendedExtension {
  readonly url: string;
  /** The extension's name without HAPI's prefix. */
  readonly name: string;
  readonly setting: 'sendDeleteMessages' | 'deliverLatestVersion';
  /** What the user loses without it (completes "without it, ..."). */
  readonly loss: string;
  /** A few words for one-line listings (`hlc subscriptions list`). */
  readonly short: string;
}

/**
 * The two extensions Smile CDR's HealthLake module calls required (seed 003), as HAPI's rest-hook
 * defaults both to false.
 */
export const RECOMMENDED_EXTENSIONS: readonly RecommendedExtension[] = [
  {
    url: SUBSCRIPTION_EXTENSIONS.sendDeleteMessages,
    name: 'subscription-send-delete-messages',
    setting: 'sendDeleteMessages',
    loss: 'a resource deleted in the source is never deleted in HealthLake, which keeps the deleted record forever',
    short: 'deletes not replicated',
  },
  {
    url: SUBSCRIPTION_EXTENSIONS.deliverLatestVersion,
    name: 'subscription-resthook-deliver-latest-version',
    setting: 'deliverLatestVersion',
    loss: "every version is written to HealthLake in turn, even one a newer version has already replaced by the time it is delivered: more writes, cost and throttling, and intermediate versions in HealthLake's history",
    short: 'every version written, not only the latest',
  },
];

/** The recommended extensions the settings do not turn on (absent or false). */
export const missingRecommended = (settings: Pick<ChannelSettings, RecommendedExtension['setting']>) =>
  RECOMMENDED_EXTENSIONS.filter((extension) => !settings[extension.setting]);

/**
 * A warning for each recommended extension a Subscription lacks (or sets false), naming it and what the
 * user loses. The Subscription is still accepted: HAPI's defaults are a valid choice, if rarely the one
 * a HealthLake replica wants.
 *
 * @example
 * missingExtensionWarnings(parsed.settings) // [] when both are true
 */
export const missingExtensionWarnings = (
  settings: Pick<ChannelSettings, RecommendedExtension['setting']>,
): OperationOutcomeIssue[] =>
  missingRecommended(settings).map((extension) =>
    issue(
      'incomplete',
      `${extension.name} is not set to true: ${extension.loss}. Smile CDR's HealthLake module requires it; add {"url":"${extension.url}","valueBoolean":true} to Subscription.channel.extension`,
      'Subscription.channel.extension',
      'warning',
    ),
  );
