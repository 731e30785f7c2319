import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** A credential the verifier knows: long-term (no token) or issued by the STS stand-in. */
export interface KnownCredential {
  accessKeyId: string;
  secretAccessKey: string;
  /** Required in `x-amz-security-token` when set (temporary credentials). */
  sessionToken?: string;
  /** Epoch milliseconds after which the credential is rejected. */
  expiresAt?: number;
}

export type CredentialLookup = (accessKeyId: string) => KnownCredential | undefined;

/** The request exactly as received: raw path and query (still percent-encoded), headers, body bytes. */
export interface RawSignedRequest {
  method: string;
  path: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export const SIGV4_FAILURES = {
  missing: 'MissingAuthenticationToken',
  malformed: 'IncompleteSignature',
  unknownKey: 'UnrecognizedClientException',
  expired: 'ExpiredTokenException',
  skew: 'InvalidSignatureException',
  scope: 'InvalidSignatureException',
  token: 'UnrecognizedClientException',
  signature: 'InvalidSignatureException',
} as const;
export type SigV4Failure = keyof typeof SIGV4_FAILURES;

export type SigV4Result =
  | { ok: true; credential: KnownCredential; region: string }
  | { ok: false; failure: SigV4Failure; message: string };

export interface SigV4VerifyOptions {
  lookup: CredentialLookup;
  service: string;
  /** Required signing region; any region is accepted when undefined. */
  region?: string;
  /** Largest accepted difference between `x-amz-date` and now (default 5 minutes, as AWS). */
  maxSkewMs?: number;
  now?: () => number;
}

/** What the signer feeds to a hash (structurally `@smithy/types` SourceData). */
type SourceData = string | ArrayBuffer | ArrayBufferView;

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]+)\/([0-9]{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;\-.]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z$/;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

const toBuffer = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 / HMAC-SHA-256 on node:crypto (the pure-JS hash is slow for large bodies). */
class NodeSha256 {
  private hash;
  public constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  public update(data: Uint8Array): void {
    this.hash.update(data);
  }
  public async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  public reset(): void {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

const headerValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

const safeEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** Query parameters decoded the way the signer saw them (no `+`-as-space: SigV4 clients encode `+`). */
const parseQuery = (rawQuery: string): Record<string, string | string[]> | undefined => {
  const query: Record<string, string | string[]> = {};
  if (rawQuery === '') return query;
  try {
    for (const part of rawQuery.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
      const existing = query[key];
      query[key] = existing === undefined ? value : [...[existing].flat(), value];
    }
  } catch {
    return undefined;
  }
  return query;
};

const fail = (failure: SigV4Failure, message: string): SigV4Result => ({ ok: false, failure, message });

/**
 * Verifies an AWS Signature Version 4 `Authorization` header by recomputing the signature with
 * `@smithy/signature-v4` over the raw request (method, path, query, the signed headers, body hash)
 * and comparing in constant time. Also enforces the credential scope (service, region, date), a
 * 5-minute clock skew, credential expiry and the session token of temporary credentials.
 * Messages name no request content.
 */
export const verifySigV4 = async (
  request: RawSignedRequest,
  options: SigV4VerifyOptions,
): Promise<SigV4Result> => {
  const authorization = headerValue(request.headers, 'authorization');
  if (!authorization) return fail('missing', 'Missing Authentication Token');
  const parsed = AUTHORIZATION.exec(authorization);
  if (!parsed) return fail('malformed', 'Authorization header is not a valid AWS4-HMAC-SHA256 signature');
  const [
    ,
    accessKeyId = '',
    scopeDate,
    scopeRegion = '',
    scopeService,
    signedHeaderList = '',
    signature = '',
  ] = parsed;
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
    return fail('malformed', 'Signed headers must include host and x-amz-date');
  }

  const amzDate = headerValue(request.headers, 'x-amz-date') ?? '';
  const dateParts = AMZ_DATE.exec(amzDate);
  if (!dateParts) return fail('malformed', 'Missing or malformed x-amz-date');
  const [, y, mo, d, h, mi, s] = dateParts.map(Number);
  const signingDate = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s));
  const now = (options.now ?? Date.now)();
  if (Math.abs(now - signingDate.getTime()) > (options.maxSkewMs ?? 300_000)) {
    return fail('skew', 'Signature expired: the request date is more than 5 minutes from the server time');
  }
  if (scopeDate !== amzDate.slice(0, 8))
    return fail('scope', 'Credential scope date does not match x-amz-date');
  if (scopeService !== options.service) {
    return fail('scope', `Credential should be scoped to correct service: '${options.service}'`);
  }
  if (options.region !== undefined && scopeRegion !== options.region) {
    return fail('scope', `Credential should be scoped to a valid region: '${options.region}'`);
  }

  const credential = options.lookup(accessKeyId);
  if (!credential) return fail('unknownKey', 'The security token included in the request is invalid');
  if (credential.expiresAt !== undefined && credential.expiresAt <= now) {
    return fail('expired', 'The security token included in the request is expired');
  }
  if (credential.sessionToken !== undefined) {
    const token = headerValue(request.headers, 'x-amz-security-token');
    if (token === undefined || !safeEqual(token, credential.sessionToken)) {
      return fail('token', 'The security token included in the request is invalid');
    }
  }

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined) return fail('signature', `Signed header ${name} is missing`);
    headers[name] = value;
  }
  const declaredHash = headers['x-amz-content-sha256'];
  if (declaredHash !== undefined && declaredHash !== UNSIGNED_PAYLOAD) {
    const actual = createHash('sha256').update(request.body).digest('hex');
    if (!safeEqual(declaredHash, actual)) {
      return fail('signature', 'The provided x-amz-content-sha256 header does not match what was computed');
    }
  }
  const query = parseQuery(request.rawQuery);
  if (!query) return fail('malformed', 'Malformed query string');

  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: credential.secretAccessKey },
    region: scopeRegion,
    service: options.service,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname: 'localhost',
      path: request.path,
      query,
      headers,
      body: request.body.length > 0 ? request.body : undefined,
    }),
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
  if (!safeEqual(expected, signature)) {
    return fail(
      'signature',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return { ok: true, credential, region: scopeRegion };
};
