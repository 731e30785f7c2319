import { Sha256 } from '@aws-crypto/sha256-js';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: <T = unknown>() => T;
}

/**
 * Sends one SigV4-signed request (real `@smithy/signature-v4` + `NodeHttpHandler`), as the deliverer
 * would. `url` is absolute; its query string is signed. `tamper` edits the signed request before
 * sending (bad-signature tests).
 */
export const sigv4Request = async (options: {
  url: string;
  method: string;
  credentials: SigV4Credentials;
  body?: unknown;
  region?: string;
  service?: string;
  signingDate?: Date;
  requestTimeoutMs?: number;
  tamper?: (request: HttpRequest) => void;
  handler?: NodeHttpHandler;
}): Promise<SignedResponse> => {
  const url = new URL(options.url);
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...[existing].flat(), value];
  }
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const request = new HttpRequest({
    method: options.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query,
    headers: {
      host: url.host,
      accept: 'application/fhir+json',
      ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
    },
    body,
  });
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'healthlake',
    sha256: Sha256,
  });
  const signed = (await signer.sign(request, { signingDate: options.signingDate })) as HttpRequest;
  options.tamper?.(signed);
  const handler =
    options.handler ??
    new NodeHttpHandler({ requestTimeout: options.requestTimeoutMs ?? 10_000, throwOnRequestTimeout: true });
  try {
    const { response } = await handler.handle(signed);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    const text = Buffer.concat(chunks).toString('utf8');
    return {
      status: response.statusCode,
      headers: response.headers,
      text,
      json: <T>() => JSON.parse(text) as T,
    };
  } finally {
    if (!options.handler) handler.destroy();
  }
};
