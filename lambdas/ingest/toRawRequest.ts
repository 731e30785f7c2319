import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { FhirResponse } from '../../shared/http/types.js';
import type { RawIngestRequest } from '../../shared/ingest/handleIngestHttp.js';

/**
 * API Gateway REST proxy event (v1) -> raw ingest request. The FHIR path is `{proxy+}`; the base URL
 * is the configured public one, or derived from Host, X-Forwarded-Proto and the path before `{proxy+}`
 * (stage or custom-domain base path).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
export const toRawRequest = (event: APIGatewayProxyEvent, publicBaseUrl?: string): RawIngestRequest => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values && values.length > 0) headers[name.toLowerCase()] = values.join(', ');
  }
  const query: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values) query[name] = [...values];
  }
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined && !query[name]) query[name] = [value];
  }
  const proxy = event.pathParameters?.proxy ?? '';
  const body =
    event.body === null || event.body === undefined
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  const identity = event.requestContext?.identity;
  return {
    method: event.httpMethod,
    path: proxy,
    query,
    headers,
    ...(body === undefined ? {} : { body }),
    requestId: event.requestContext?.requestId,
    baseUrl: publicBaseUrl ?? derivedBaseUrl(event, headers, proxy),
    ...(identity ? { identity: { userArn: identity.userArn, caller: identity.caller } } : {}),
  };
};

const derivedBaseUrl = (
  event: APIGatewayProxyEvent,
  headers: Record<string, string>,
  proxy: string,
): string => {
  const proto = (headers['x-forwarded-proto'] ?? 'https').split(',')[0]?.trim() ?? 'https';
  const host = headers.host ?? event.requestContext?.domainName ?? 'localhost';
  const path = event.path ?? '/';
  const prefix = proxy && path.endsWith(proxy) ? path.slice(0, path.length - proxy.length) : path;
  return `${proto}://${host}${prefix}`.replace(/\/+$/, '');
};

/** FhirResponse -> API Gateway proxy result (JSON body, or empty). */
export const toProxyResult = (response: FhirResponse): APIGatewayProxyResult => ({
  statusCode: response.status,
  headers: { ...response.headers },
  body: response.body === undefined ? '' : JSON.stringify(response.body),
});
