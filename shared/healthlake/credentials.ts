import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { SESSION_DURATION_LIMITS } from './constants.js';

/** The customer role the deliverer assumes, with the ExternalId the customer's trust policy demands. */
export interface RoleTarget {
  readonly roleArn: string;
  readonly externalId?: string;
}

/** Supplies credentials; called once per request, so it must be cheap when cached. */
export type CredentialProvider = () => Promise<AwsCredentialIdentity>;

/** Credentials for HealthLake, with a way to drop them when HealthLake rejects them as expired. */
export interface HealthLakeCredentials {
  readonly provider: CredentialProvider;
  /** The next call fetches fresh credentials; the rejected ones are never handed out again. */
  refresh(): void;
}

export { SESSION_DURATION_LIMITS };

/** Credentials this close to expiry are not handed out when a refresh fails. */
const STALE_GRACE_MS = 10_000;

const SESSION_NAME_INVALID = /[^\w+=,.@-]/g;

/** `healthlake-connector-{connectorId}`, made valid for STS (2-64 of `[\w+=,.@-]`), so CloudTrail shows who called. */
export const sessionNameFor = (connectorId: string): string =>
  `healthlake-connector-${connectorId}`.replace(SESSION_NAME_INVALID, '-').slice(0, 64);

/**
 * The SDK's own caching (`memoizeIdentityProvider`: one call in flight however many callers wait,
 * refreshed 5 minutes before expiry) plus the one thing it does not do: when a refresh fails while the
 * credentials in hand are still valid, keep using them (STS hiccups must not stop delivery).
 */
export const cachedCredentials = (source: AwsCredentialIdentityProvider): HealthLakeCredentials => {
  const memoized = memoizeIdentityProvider(source, isIdentityExpired, doesIdentityRequireRefresh) ?? source;
  let last: AwsCredentialIdentity | undefined;
  let forceRefresh = false;
  /** A forced refresh in flight: every caller waits for it rather than take the rejected credentials. */
  let forcing: Promise<AwsCredentialIdentity> | undefined;
  /** Counts rejections: a call in flight across one must not keep the rejected credentials as `last`. */
  let rejections = 0;
  return {
    provider: async () => {
      try {
        if (forceRefresh) {
          forceRefresh = false;
          forcing = memoized({ forceRefresh: true }).finally(() => {
            forcing = undefined;
          });
        }
        const asked = rejections;
        const identity = await (forcing ?? memoized());
        if (asked === rejections) last = identity;
        return identity;
      } catch (error) {
        const expiresAt = last?.expiration?.getTime();
        if (last && (expiresAt === undefined || Date.now() < expiresAt - STALE_GRACE_MS)) return last;
        throw error;
      }
    },
    refresh: () => {
      rejections += 1;
      last = undefined;
      forceRefresh = true;
    },
  };
};

export interface RoleCredentialsOptions {
  readonly role: RoleTarget;
  readonly connectorId: string;
  /** Session length asked of STS, 900-3600 (role chaining caps it at one hour). @default 3600 */
  readonly durationSeconds?: number;
  /** The STS client's settings: region, and for stand-ins an endpoint and the caller's credentials. */
  readonly sts?: {
    readonly region?: string;
    readonly endpoint?: string;
    readonly credentials?: AwsCredentialIdentity;
  };
}

/** STS AssumeRole into the customer role (`fromTemporaryCredentials`), uncached: one STS call per call. */
export const assumeRoleSource = (options: RoleCredentialsOptions): AwsCredentialIdentityProvider => {
  const { role, sts } = options;
  return fromTemporaryCredentials({
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: sessionNameFor(options.connectorId),
      DurationSeconds: options.durationSeconds ?? SESSION_DURATION_LIMITS.max,
      ...(role.externalId ? { ExternalId: role.externalId } : {}),
    },
    ...(sts?.credentials ? { masterCredentials: sts.credentials } : {}),
    clientConfig: {
      ...(sts?.region ? { region: sts.region } : {}),
      ...(sts?.endpoint ? { endpoint: sts.endpoint } : {}),
    },
  });
};

/**
 * Credentials for HealthLake in the customer's account: `fromTemporaryCredentials` (STS AssumeRole with
 * the ExternalId and a session named after the connector), cached as `cachedCredentials` describes.
 *
 * @example
 * const credentials = roleCredentials({ role: { roleArn, externalId }, connectorId: 'prod-1' });
 * const pool = new HealthLakeClientPool({ credentials: credentials.provider });
 */
export const roleCredentials = (options: RoleCredentialsOptions): HealthLakeCredentials =>
  cachedCredentials(assumeRoleSource(options));

/**
 * Same-account mode: the function's own credentials, cached the same way: the ones given (read from the
 * function's environment, so several functions can share one process in local mode), else the SDK's
 * default Node chain (in Lambda, the environment).
 */
export const ownCredentials = (given?: AwsCredentialIdentity): HealthLakeCredentials =>
  cachedCredentials(given ? async () => given : fromNodeProviderChain());
