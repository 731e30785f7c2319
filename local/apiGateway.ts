import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { timeInvocation } from './invocationReports.js';
import { localLambdaContext } from './lambdaContext.js';

/** API Gateway's payload limit for REST APIs: 10 MB. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface LocalApiGatewayOptions {
  readonly handler: ProxyHandler;
  /** Path the API is served under, e.g. `/fhir` (a custom-domain base path mapping). @default '' */
  readonly basePath?: string;
  /** @default 'local' */
  readonly stage?: string;
  /** @default 10 MB, as API Gateway */
  readonly maxBodyBytes?: number;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default 0 (random) */
  readonly port?: number;
  /**
   * Stands in for API Gateway's IAM authorizer: the caller identity of a request it accepts
   * (put into `requestContext.identity`), or undefined. @default no IAM callers
   */
  readonly iamIdentity?: (request: IncomingMessage) => { userArn: string; caller: string } | undefined;
  /** Function name in the Lambda context. @default 'ingest' */
  readonly functionName?: string;
}

export interface LocalApiGateway {
  /** Base URL of the API, including the base path, without trailing slash. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * A small API Gateway REST API stand-in: every request under `basePath` becomes a real v1 proxy event
 * (`/{proxy+}` resource, `/` for the root) for the handler, and the proxy result is written back.
 * Bodies over the limit get API Gateway's 413 without invoking the handler.
 *
 * @example
 * const api = await startLocalApiGateway({ handler, basePath: '/fhir' });
 * await fetch(`${api.url}/metadata`);
 * await api.stop();
 */
export const startLocalApiGateway = async (options: LocalApiGatewayOptions): Promise<LocalApiGateway> => {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? API_GATEWAY_MAX_BODY_BYTES;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // As Lambda logs an unhandled error: its name and where, never the request's content.
      const name = error instanceof Error ? error.name : typeof error;
      const path = (request.url ?? '').split('?')[0];
      process.stderr.write(
        `local API Gateway: the handler threw ${name} on ${request.method} ${path}; answered 502\n`,
      );
      if (!response.headersSent) writeJson(response, 502, { message: 'Internal server error' });
      else response.destroy();
    });
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (basePath && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
      writeJson(response, 404, { message: 'Not Found' });
      return;
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      request.resume();
      writeJson(response, 413, { message: 'Request Too Long' });
      return;
    }
    const body = await readBody(request, maxBodyBytes);
    if (body === 'too-large') {
      writeJson(response, 413, { message: 'Request Too Long' });
      return;
    }
    const event = toEvent(request, url, basePath, body, options);
    const functionName = options.functionName ?? 'ingest';
    const result = await timeInvocation(functionName, () =>
      options.handler(
        event,
        localLambdaContext({
          functionName,
          requestId: event.requestContext.requestId,
          timeoutMs: 29_000,
          region: 'us-east-1',
        }),
      ),
    );
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
      headers[name] = values.map(String);
    headers['x-amzn-requestid'] = event.requestContext.requestId;
    response.writeHead(result.statusCode, headers);
    response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}${basePath}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

const writeJson = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

const readBody = async (request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> => {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit)
      tooLarge = true; // keep draining so the response can be written
    else chunks.push(chunk as Buffer);
  }
  return tooLarge ? 'too-large' : Buffer.concat(chunks);
};

const toEvent = (
  request: IncomingMessage,
  url: URL,
  basePath: string,
  body: Buffer,
  options: LocalApiGatewayOptions,
): APIGatewayProxyEvent => {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] as string;
    const value = request.rawHeaders[index + 1] as string;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  headers['X-Forwarded-Proto'] ??= 'http';
  multiValueHeaders['X-Forwarded-Proto'] ??= ['http'];
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    queryStringParameters[name] = value;
    (multiValueQueryStringParameters[name] ??= []).push(value);
  }
  const rawProxy = url.pathname.slice(basePath.length).replace(/^\/+/, '');
  let proxy: string;
  try {
    proxy = decodeURIComponent(rawProxy); // API Gateway hands path parameters decoded
  } catch {
    proxy = rawProxy;
  }
  const requestId = randomUUID();
  const stage = options.stage ?? 'local';
  const identity = options.iamIdentity?.(request);
  const sourceIp = request.socket.remoteAddress ?? '127.0.0.1';
  return {
    resource: proxy === '' ? '/' : '/{proxy+}',
    path: url.pathname,
    httpMethod: request.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: url.search ? queryStringParameters : null,
    multiValueQueryStringParameters: url.search ? multiValueQueryStringParameters : null,
    pathParameters: proxy === '' ? null : { proxy },
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      domainName: request.headers.host ?? 'localhost',
      httpMethod: request.method ?? 'GET',
      path: url.pathname,
      protocol: `HTTP/${request.httpVersion}`,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: proxy === '' ? '/' : '/{proxy+}',
      stage,
      identity: {
        accessKey: null,
        accountId: identity ? '000000000000' : null,
        apiKey: null,
        apiKeyId: null,
        caller: identity?.caller ?? null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: identity?.caller ?? null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: identity?.userArn ?? null,
      },
    },
  };
};
