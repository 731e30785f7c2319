import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { KnownCredential, RawSignedRequest } from './sigv4Verifier.js';
import { verifySigV4 } from './sigv4Verifier.js';

/** Options of the local STS `AssumeRole` endpoint. */
export interface StsStandinOptions {
  /** The only role that may be assumed. */
  roleArn: string;
  /** ExternalId the role's trust policy requires; undefined = none required. */
  externalId?: string;
  /** Callers allowed to call AssumeRole (must sign with one of them). A token makes it a role session. */
  baseCredentials: KnownCredential[];
  /**
   * Actual lifetime of issued credentials in seconds, overriding DurationSeconds (tests use a few
   * seconds to exercise refresh). Default: DurationSeconds (default 3600).
   */
  credentialLifetimeSeconds?: number;
  now?: () => number;
}

/** One AssumeRole call as the stand-in saw it (no secrets). */
export interface AssumeRoleCall {
  time: string;
  status: number;
  roleSessionName: string | undefined;
  errorCode: string | undefined;
  issuedAccessKeyId: string | undefined;
}

export interface StsResponse {
  status: number;
  contentType: string;
  body: string;
}

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

const xmlEscape = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const constantTimeEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

const randomKey = (prefix: string, length: number): string => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(length);
  let key = prefix;
  for (const byte of bytes) key += alphabet[byte % alphabet.length];
  return key;
};

/** The STS error document (`ErrorResponse/Error{Type,Code,Message}`) the SDK parses into exceptions. */
const errorResponse = (status: number, code: string, message: string): StsResponse => ({
  status,
  contentType: 'text/xml',
  body:
    `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code>` +
    `<Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
});

/**
 * A local STS speaking the Query protocol (`Action=AssumeRole&Version=2011-06-15&...`, XML answers),
 * so `@aws-sdk/client-sts` works against it unchanged. It verifies the caller's SigV4 signature
 * (service `sts`), enforces the role ARN and ExternalId (AccessDenied otherwise, as STS does), the
 * DurationSeconds range and the 1-hour role-chaining limit, and issues temporary credentials that
 * the HealthLake stand-in accepts until they expire.
 */
/** AssumeRole calls the stand-in remembers (for tests and `hlc`); older ones are forgotten. */
export const MAX_RECORDED_STS_CALLS = 1_000;
/** How long past its expiry an issued credential is still known (answered `ExpiredToken`, not unknown). */
const KEEP_EXPIRED_MS = 3_600_000;

export class StsStandin {
  /** Issued credentials, until an hour past their expiry (a late request still hears `ExpiredToken`). */
  private readonly issued = new Map<string, KnownCredential>();
  /** The latest `MAX_RECORDED_STS_CALLS` AssumeRole calls, oldest first. */
  public readonly calls: AssumeRoleCall[] = [];
  public credentialLifetimeSeconds: number | undefined;

  public constructor(private readonly options: StsStandinOptions) {
    this.credentialLifetimeSeconds = options.credentialLifetimeSeconds;
  }

  /** Successful AssumeRole calls among the recorded ones (all of them, up to `MAX_RECORDED_STS_CALLS`). */
  public get assumeRoleCount(): number {
    return this.calls.filter((call) => call.status === 200).length;
  }

  /** Credentials issued by AssumeRole (for the HealthLake verifier). */
  public issuedCredential(accessKeyId: string): KnownCredential | undefined {
    return this.issued.get(accessKeyId);
  }

  public baseCredential(accessKeyId: string): KnownCredential | undefined {
    return this.options.baseCredentials.find((credential) => credential.accessKeyId === accessKeyId);
  }

  /** Makes every issued credential expire now (tests of refresh after expiry). */
  public expireAll(): void {
    const now = this.now();
    for (const credential of this.issued.values()) credential.expiresAt = now;
  }

  public async handle(request: RawSignedRequest): Promise<StsResponse> {
    const params = new URLSearchParams(
      request.method === 'POST' ? request.body.toString('utf8') : request.rawQuery,
    );
    const record = (status: number, errorCode?: string, issuedAccessKeyId?: string) => {
      this.calls.push({
        time: new Date(this.now()).toISOString(),
        status,
        roleSessionName: params.get('RoleSessionName') ?? undefined,
        errorCode,
        issuedAccessKeyId,
      });
      if (this.calls.length > MAX_RECORDED_STS_CALLS)
        this.calls.splice(0, this.calls.length - MAX_RECORDED_STS_CALLS);
    };
    const reject = (status: number, code: string, message: string) => {
      record(status, code);
      return errorResponse(status, code, message);
    };

    const verified = await verifySigV4(request, {
      service: 'sts',
      lookup: (accessKeyId) => this.baseCredential(accessKeyId) ?? this.issued.get(accessKeyId),
      now: () => this.now(),
    });
    if (!verified.ok) {
      const code =
        verified.failure === 'expired'
          ? 'ExpiredToken'
          : verified.failure === 'unknownKey' || verified.failure === 'token'
            ? 'InvalidClientTokenId'
            : verified.failure === 'missing'
              ? 'MissingAuthenticationToken'
              : 'SignatureDoesNotMatch';
      return reject(403, code, verified.message);
    }
    const action = params.get('Action');
    if (action !== 'AssumeRole')
      return reject(400, 'InvalidAction', `Could not find operation ${action ?? ''}`);
    if (params.get('Version') !== '2011-06-15')
      return reject(400, 'InvalidParameterValue', 'Unsupported Version');

    const roleArn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    if (!SESSION_NAME.test(sessionName)) {
      return reject(400, 'ValidationError', "Value at 'roleSessionName' failed to satisfy constraint");
    }
    const durationText = params.get('DurationSeconds');
    const duration = durationText === null ? 3600 : Number(durationText);
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
      return reject(
        400,
        'ValidationError',
        "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200",
      );
    }
    const callerIsRoleSession = verified.credential.sessionToken !== undefined;
    if (callerIsRoleSession && duration > 3600) {
      return reject(
        400,
        'ValidationError',
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      );
    }
    const callerArn = `arn:aws:iam::000000000000:user/${verified.credential.accessKeyId}`;
    const externalId = params.get('ExternalId');
    const externalIdOk =
      this.options.externalId === undefined ||
      (externalId !== null && constantTimeEqual(externalId, this.options.externalId));
    if (roleArn !== this.options.roleArn || !externalIdOk) {
      return reject(
        403,
        'AccessDenied',
        `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }

    const lifetimeSeconds = this.credentialLifetimeSeconds ?? duration;
    const expiresAt = this.now() + lifetimeSeconds * 1000;
    const credential: KnownCredential = {
      accessKeyId: randomKey('ASIA', 16),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `FwoGZXIvYXdzE${randomBytes(96).toString('base64')}`,
      expiresAt,
    };
    for (const [accessKeyId, known] of this.issued) {
      if (known.expiresAt !== undefined && known.expiresAt < this.now() - KEEP_EXPIRED_MS)
        this.issued.delete(accessKeyId);
    }
    this.issued.set(credential.accessKeyId, credential);
    record(200, undefined, credential.accessKeyId);
    const roleName = roleArn.split('/').pop() ?? 'role';
    const account = roleArn.split(':')[4] ?? '000000000000';
    // Expiration without milliseconds, as STS writes it.
    const expiration = new Date(expiresAt).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
    return {
      status: 200,
      contentType: 'text/xml',
      body:
        `<AssumeRoleResponse xmlns="${NAMESPACE}"><AssumeRoleResult>` +
        `<AssumedRoleUser><AssumedRoleId>AROA${randomKey('', 17)}:${xmlEscape(sessionName)}</AssumedRoleId>` +
        `<Arn>arn:aws:sts::${xmlEscape(account)}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(sessionName)}</Arn></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${credential.accessKeyId}</AccessKeyId>` +
        `<SecretAccessKey>${xmlEscape(credential.secretAccessKey)}</SecretAccessKey>` +
        `<SessionToken>${xmlEscape(credential.sessionToken ?? '')}</SessionToken>` +
        `<Expiration>${expiration}</Expiration></Credentials>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    };
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
