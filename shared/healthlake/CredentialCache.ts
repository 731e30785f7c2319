import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { CredentialsError } from './errors.js';

/** The customer role the deliverer assumes, with the ExternalId the customer's trust policy demands. */
export interface RoleTarget {
  readonly roleArn: string;
  readonly externalId?: string;
}

/** Supplies credentials; called once per request, so it must be cheap when cached. */
export type CredentialProvider = () => Promise<AwsCredentialIdentity>;

export interface CredentialCacheOptions {
  /** STS client (its endpoint may point at a stand-in). Only `send` is used. */
  readonly sts: Pick<STSClient, 'send'>;
  /** Names the STS session `healthlake-connector-{connectorId}` so CloudTrail shows who called. */
  readonly connectorId: string;
  /**
   * Session length asked of STS. Role chaining (a Lambda assuming a role) caps it at one hour.
   * @default 3600
   */
  readonly durationSeconds?: number;
  /**
   * Refresh this long before expiry (capped at a quarter of the credentials' lifetime, so
   * short-lived credentials are still reused).
   * @default 300_000 (5 minutes)
   */
  readonly refreshMarginMs?: number;
  /** Same-account mode: where the function's own credentials come from. @default `fromProcessEnv` */
  readonly ownCredentials?: CredentialProvider;
  /** Injected clock, for tests. @default Date.now */
  readonly now?: () => number;
}

interface CacheEntry {
  credentials?: AwsCredentialIdentity;
  /** When to stop reusing `credentials` (expiry minus margin), epoch ms. */
  refreshAt: number;
  inFlight?: Promise<AwsCredentialIdentity>;
}

const SESSION_NAME_INVALID = /[^\w+=,.@-]/g;
/** Credentials this close to expiry are not used as a fallback when a refresh fails. */
const STALE_GRACE_MS = 10_000;
/** After a failed refresh with valid credentials in hand, the next attempt waits this long. */
const RETRY_REFRESH_MS = 5_000;

/** The cache entry of a role (and ExternalId). */
const keyOf = (target: RoleTarget): string => `${target.roleArn}\n${target.externalId ?? ''}`;

/** `healthlake-connector-{connectorId}`, made valid for STS (2-64 of `[\w+=,.@-]`). */
export const sessionNameFor = (connectorId: string): string =>
  `healthlake-connector-${connectorId}`.replace(SESSION_NAME_INVALID, '-').slice(0, 64);

/**
 * The function's own credentials from the Lambda environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), for same-account mode.
 */
export const fromProcessEnv =
  (env: NodeJS.ProcessEnv = process.env): CredentialProvider =>
  async () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new CredentialsError('No AWS credentials in the environment (AWS_ACCESS_KEY_ID)');
    }
    const sessionToken = env.AWS_SESSION_TOKEN;
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  };

/**
 * Credentials for HealthLake: STS AssumeRole into the customer role, cached per role and refreshed
 * before they expire, with one refresh in flight however many callers wait. Without a role
 * (same-account mode) it hands out the function's own credentials and never calls STS.
 *
 * @example
 * const cache = new CredentialCache({ sts: new STSClient({}), connectorId: 'prod-1' });
 * const provider = cache.providerFor({ roleArn, externalId });
 * const credentials = await provider(); // one AssumeRole per credential lifetime
 */
export class CredentialCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly sessionName: string;
  private readonly durationSeconds: number;
  private readonly refreshMarginMs: number;
  private readonly ownCredentials: CredentialProvider;
  private readonly now: () => number;
  private stsCalls = 0;

  public constructor(private readonly options: CredentialCacheOptions) {
    this.sessionName = sessionNameFor(options.connectorId);
    this.durationSeconds = options.durationSeconds ?? 3600;
    this.refreshMarginMs = options.refreshMarginMs ?? 300_000;
    this.ownCredentials = options.ownCredentials ?? fromProcessEnv();
    this.now = options.now ?? Date.now;
  }

  /** How many AssumeRole calls this cache has made (for the benchmark and tests). */
  public get assumeRoleCalls(): number {
    return this.stsCalls;
  }

  /** A provider bound to one role, or to the function's own credentials when `target` is undefined. */
  public providerFor(target: RoleTarget | undefined): CredentialProvider {
    if (!target) return this.ownCredentials;
    return () => this.get(target);
  }

  /** Current credentials for `target`, assuming the role when none are cached or they are due. */
  public get(target: RoleTarget): Promise<AwsCredentialIdentity> {
    const key = keyOf(target);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { refreshAt: 0 };
      this.entries.set(key, entry);
    }
    if (entry.credentials && this.now() < entry.refreshAt) return Promise.resolve(entry.credentials);
    if (entry.inFlight) return entry.inFlight;
    const current = entry;
    const refresh = this.assume(target)
      .then(
        (credentials) => {
          current.credentials = credentials;
          current.refreshAt = this.refreshTime(credentials);
          return credentials;
        },
        (error: unknown) => {
          // STS hiccup during an early refresh: keep using the still-valid credentials, try again soon.
          const previous = current.credentials;
          const expiresAt = previous?.expiration?.getTime();
          const now = this.now();
          if (previous && expiresAt !== undefined && now < expiresAt - STALE_GRACE_MS) {
            current.refreshAt = Math.min(now + RETRY_REFRESH_MS, expiresAt - STALE_GRACE_MS);
            return previous;
          }
          throw error;
        },
      )
      .finally(() => {
        current.inFlight = undefined;
      });
    current.inFlight = refresh;
    return refresh;
  }

  /** Forgets cached credentials (e.g. HealthLake said the token expired), so the next call refreshes. */
  public invalidate(target?: RoleTarget): void {
    if (!target) {
      this.entries.clear();
      return;
    }
    const entry = this.entries.get(keyOf(target));
    if (entry) {
      // Rejected credentials are never reused, not even as a fallback.
      entry.credentials = undefined;
      entry.refreshAt = 0;
    }
  }

  private refreshTime(credentials: AwsCredentialIdentity): number {
    const now = this.now();
    const expiresAt = credentials.expiration?.getTime() ?? now + this.durationSeconds * 1000;
    const margin = Math.min(this.refreshMarginMs, Math.max(0, (expiresAt - now) / 4));
    return expiresAt - margin;
  }

  private async assume(target: RoleTarget): Promise<AwsCredentialIdentity> {
    this.stsCalls += 1;
    let response;
    try {
      response = await this.options.sts.send(
        new AssumeRoleCommand({
          RoleArn: target.roleArn,
          RoleSessionName: this.sessionName,
          DurationSeconds: this.durationSeconds,
          ...(target.externalId ? { ExternalId: target.externalId } : {}),
        }),
      );
    } catch (error) {
      throw new CredentialsError(`AssumeRole into ${target.roleArn} failed`, { cause: error });
    }
    const issued = response.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey) {
      throw new CredentialsError(`AssumeRole into ${target.roleArn} returned no credentials`);
    }
    return {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      ...(issued.SessionToken ? { sessionToken: issued.SessionToken } : {}),
      ...(issued.Expiration ? { expiration: new Date(issued.Expiration) } : {}),
    };
  }
}
