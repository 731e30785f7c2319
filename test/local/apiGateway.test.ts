import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalApiGateway } from '../../local/apiGateway.js';
import type { LocalApiGateway } from '../../local/apiGateway.js';

describe('Function: startLocalApiGateway', () => {
  const events: APIGatewayProxyEvent[] = [];
  let api: LocalApiGateway;

  beforeAll(async () => {
    api = await startLocalApiGateway({
      basePath: '/fhir',
      maxBodyBytes: 1_000,
      iamIdentity: (request) =>
        request.headers.authorization?.startsWith('AWS4-HMAC-SHA256')
          ? { userArn: 'arn:aws:iam::000000000000:role/producer', caller: 'AROALOCAL' }
          : undefined,
      handler: async (event) => {
        events.push(event);
        return {
          statusCode: 201,
          headers: { 'content-type': 'application/fhir+json', etag: 'W/"1"' },
          multiValueHeaders: { 'x-multi': ['a', 'b'] },
          body: JSON.stringify({ ok: true }),
        };
      },
    });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('turns a request into a v1 REST proxy event and writes the result back', async () => {
    const response = await fetch(`${api.url}/Patient/p%201?a=1&a=2&b=x`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/fhir+json',
        'X-Custom': 'v',
        authorization: 'AWS4-HMAC-SHA256 Credential=...',
      },
      body: '{"resourceType":"Patient"}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('W/"1"');
    expect(response.headers.get('x-multi')).toBe('a, b');
    expect(await response.json()).toEqual({ ok: true });
    const event = events.at(-1);
    expect(event).toMatchObject({
      resource: '/{proxy+}',
      path: '/fhir/Patient/p%201',
      httpMethod: 'PUT',
      pathParameters: { proxy: 'Patient/p 1' },
      queryStringParameters: { a: '2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      body: '{"resourceType":"Patient"}',
      isBase64Encoded: false,
      requestContext: {
        stage: 'local',
        identity: { userArn: 'arn:aws:iam::000000000000:role/producer', caller: 'AROALOCAL' },
      },
    });
    expect(event?.headers['X-Custom']).toBe('v');
    expect(event?.multiValueHeaders['X-Custom']).toEqual(['v']);
    expect(event?.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps the base path itself to the root resource', async () => {
    await fetch(`${api.url}`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/fhir+json' },
    });
    expect(events.at(-1)).toMatchObject({
      resource: '/',
      pathParameters: null,
      requestContext: { identity: { userArn: null } },
    });
  });

  it('answers 413 like API Gateway for a body over the limit, without invoking the handler', async () => {
    const before = events.length;
    const response = await fetch(`${api.url}/Patient/1`, { method: 'PUT', body: 'x'.repeat(1_001) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Too Long' });
    expect(events).toHaveLength(before);
  });

  it('answers 404 outside the base path', async () => {
    const response = await fetch(`${api.url.replace(/\/fhir$/, '')}/other/Patient/1`);
    expect(response.status).toBe(404);
  });
});
