import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createIngestHandler } from '../../../lambdas/ingest/createIngestHandler.js';
import type { FhirRequest } from '../../../shared/http/types.js';
import { createAuthenticator } from '../../../shared/ingest/auth/createAuthenticator.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { IngestMetricsCollector } from '../../../shared/ingest/IngestMetricsCollector.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { FakeMatcher, patient, RecordingQueue } from '../../helpers/ingestFakes.js';

const context = {
  awsRequestId: 'aws-1',
  functionName: 'ingest',
  getRemainingTimeInMillis: () => 1000,
} as Context;

const event = (overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent =>
  ({
    resource: '/{proxy+}',
    path: '/fhir/Patient/p1',
    httpMethod: 'PUT',
    headers: {
      Host: 'api.example.org',
      'X-Forwarded-Proto': 'https',
      'Content-Type': 'application/fhir+json',
    },
    multiValueHeaders: { Prefer: ['return=minimal'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: { _pretty: ['true', 'false'] },
    pathParameters: { proxy: 'Patient/p1' },
    stageVariables: null,
    body: Buffer.from(JSON.stringify(patient())).toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      requestId: 'req-9',
      stage: 'prod',
      identity: { userArn: 'arn:aws:iam::123456789012:role/producer', caller: 'AROAEXAMPLE' },
    },
    ...overrides,
  }) as unknown as APIGatewayProxyEvent;

describe('Function: createIngestHandler', () => {
  it('adapts a REST proxy event (base64 body, multi-value headers/query, IAM identity, base path)', async () => {
    const seen: FhirRequest[] = [];
    const handler = createIngestHandler({
      route: async (request) => (seen.push(request), { status: 204, headers: { etag: 'W/"1"' } }),
      authenticator: createAuthenticator({ modes: ['iam'] }),
    });
    const result = await handler(event(), context);
    expect(result).toEqual({ statusCode: 204, headers: { etag: 'W/"1"' }, body: '' });
    expect(seen[0]).toMatchObject({
      method: 'PUT',
      path: 'Patient/p1',
      baseUrl: 'https://api.example.org/fhir',
      requestId: 'req-9',
      query: { _pretty: ['true', 'false'] },
      headers: { prefer: 'return=minimal', host: 'api.example.org' },
      body: { resourceType: 'Patient', id: 'p1' },
    });
  });

  it('publishes Ingested/Matched/Enqueued by ResourceType and RejectedRequests without dimension', async () => {
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'ingest' });
    const added: Array<[string, number]> = [];
    const dimensions: string[] = [];
    vi.spyOn(metrics, 'addMetric').mockImplementation(
      (name, _unit, value) => (added.push([name, value]), metrics),
    );
    vi.spyOn(metrics, 'addDimension').mockImplementation((_name, value) => (dimensions.push(value), metrics));
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const collector = new IngestMetricsCollector();
    const handler = createIngestHandler({
      route: createIngestRouter({
        pipeline: new DefaultWritePipeline({
          ledger: new InMemoryVersionLedger(),
          matcher: new FakeMatcher(),
          queue: new RecordingQueue(),
        }),
        observer: collector,
      }),
      authenticator: createAuthenticator({ modes: ['iam'] }),
      collector,
      metrics,
    });
    expect((await handler(event(), context)).statusCode).toBe(200);
    expect(dimensions).toEqual(['Patient']);
    expect(added).toEqual([
      ['Ingested', 1],
      ['Matched', 1],
      ['Enqueued', 1],
    ]);
    added.length = 0;
    const denied = await handler(
      event({ requestContext: { requestId: 'r', identity: {} } } as never),
      context,
    );
    expect(denied.statusCode).toBe(403);
    expect(added).toEqual([['RejectedRequests', 1]]);
  });

  it('publishes WritesUnmatched without the ResourceType dimension, the series the alarm watches', async () => {
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'ingest' });
    const records: Array<{ dimensions: string[]; metrics: Array<[string, number]> }> = [];
    let current = { dimensions: [] as string[], metrics: [] as Array<[string, number]> };
    vi.spyOn(metrics, 'addMetric').mockImplementation(
      (name, _unit, value) => (current.metrics.push([name, value]), metrics),
    );
    vi.spyOn(metrics, 'addDimension').mockImplementation(
      (_name, value) => (current.dimensions.push(value), metrics),
    );
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      records.push(current);
      current = { dimensions: [], metrics: [] };
      return metrics;
    });
    const collector = new IngestMetricsCollector();
    const handler = createIngestHandler({
      route: createIngestRouter({
        pipeline: new DefaultWritePipeline({
          ledger: new InMemoryVersionLedger(),
          matcher: new FakeMatcher([]),
          queue: new RecordingQueue(),
        }),
        observer: collector,
      }),
      authenticator: createAuthenticator({ modes: ['iam'] }),
      collector,
      metrics,
    });
    expect((await handler(event(), context)).statusCode).toBe(200);
    // (logMetrics also flushes once at the end of the invocation: an empty record.)
    expect(records.filter((record) => record.metrics.length > 0)).toEqual([
      { dimensions: ['Patient'], metrics: [['Ingested', 1]] },
      { dimensions: [], metrics: [['WritesUnmatched', 1]] },
    ]);
  });

  it('keeps no counts between requests: what it collects for one is published and forgotten', async () => {
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'ingest' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const collector = new IngestMetricsCollector();
    const handler = createIngestHandler({
      route: createIngestRouter({
        pipeline: new DefaultWritePipeline({
          ledger: new InMemoryVersionLedger(),
          matcher: new FakeMatcher(),
          queue: { enqueue: async () => undefined },
        }),
        observer: collector,
      }),
      authenticator: createAuthenticator({ modes: ['iam'] }),
      collector,
      metrics,
    });
    const types = ['Patient', 'Practitioner', 'Organization', 'Location'];
    for (let index = 0; index < 400; index += 1) {
      const resourceType = types[index % types.length]!;
      const path = `${resourceType}/r${index}`;
      const written = event({
        path: `/fhir/${path}`,
        pathParameters: { proxy: path },
        body: JSON.stringify({ resourceType, id: `r${index}` }),
        isBase64Encoded: false,
        ...(index % 10 === 9 ? { requestContext: { requestId: 'r', identity: {} } } : {}),
      } as never);
      expect((await handler(written, context)).statusCode).toBe(index % 10 === 9 ? 403 : 200);
      expect(collector.counts.size).toBe(0);
    }
  });
});
