import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIngestHandler,
  type IngestLambdaHandler,
} from '../../../lambdas/ingest/createIngestHandler.js';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
} from '../../../local/standins/aws.js';
import { handleBackfillRequest } from '../../../shared/backfill/handleBackfillRequest.js';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import { subscriptionLookup } from '../../../shared/backfill/subscriptionLookup.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirRequest, FhirResponse, FhirRouteHandler } from '../../../shared/http/types.js';
import { createAuthenticator } from '../../../shared/ingest/auth/createAuthenticator.js';
import { hashToken } from '../../../shared/ingest/auth/hashToken.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { handleResetVersion } from '../../../shared/ingest/routes/handleResetVersion.js';
import { DynamoReconcileJobStore } from '../../../shared/reconcile/DynamoReconcileJobStore.js';
import { handleReconcileRequest } from '../../../shared/reconcile/handleReconcileRequest.js';
import { handleSubscriptionRequest } from '../../../shared/subscriptions/handleSubscriptionRequest.js';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { InMemoryVersionStateReset } from '../../../shared/versions/InMemoryVersionStateReset.js';
import { ADMIN_CALLER, FakeMatcher, RecordingQueue, WRITE_CALLER } from '../../helpers/ingestFakes.js';
import { ALLOWED_ENDPOINTS, makeSubscription } from '../../helpers/subscriptions.js';

/**
 * Issue 20 item 10: no input gives a 5xx. Every route of the ingest router (writes, Bundles, metadata,
 * Subscriptions, $trigger-subscription, $backfill-job, $reconcile, $reconcile-job, $reset-version,
 * unknown operations) is called with malformed percent-encoding, odd paths and every method, through
 * the real router and through the Lambda handler adapter (API Gateway proxy events), by an admin and
 * by a write-scope caller.
 */

/** Path segments that break `decodeURIComponent` or path handling. */
const SEGMENTS = [
  '%E0%A4%A',
  '%',
  '%%',
  '%ZZ',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  '%uD800',
  '%00',
  '%2F',
  '%2e%2e',
  '..',
  '.',
  '',
  '__proto__',
  'constructor',
  'x'.repeat(5000),
  'P\u00e4tient',
  '\u0000',
  'job-1',
  'sub-1',
];

/** Every route shape, `{x}` replaced by each segment above. */
const TEMPLATES = [
  '{x}',
  '{x}/{x}',
  '{x}/{x}/{x}',
  'Patient/{x}',
  'Patient/{x}/_history/1',
  'Patient/p1/{x}',
  'Patient/{x}/$reset-version',
  '{x}/$reset-version',
  '$backfill-job/{x}',
  '$backfill-job/{x}/$cancel',
  '$reconcile-job/{x}',
  '$reconcile/{x}',
  'Subscription/{x}',
  'Subscription/{x}/$trigger-subscription',
  'Subscription/{x}/{x}',
  'metadata/{x}',
  '${x}',
];

const FIXED_PATHS = [
  '',
  '/',
  '//',
  'metadata',
  'Patient',
  'Patient//p1',
  'Patient/p1/',
  '$reconcile',
  '$backfill-job',
  '$reconcile-job',
  '$everything',
  'Patient/$validate',
  'Subscription',
  'Subscription/$trigger-subscription',
  '../../etc/passwd',
];

const METHODS: readonly FhirRequest['method'][] = [
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'HEAD',
  'OPTIONS',
];

const PATHS = [
  ...FIXED_PATHS,
  ...TEMPLATES.flatMap((template) => SEGMENTS.map((x) => template.split('{x}').join(x))),
];

/** A body the routes may look at: an empty Parameters (for operations) or nothing useful (for writes). */
const BODY = { resourceType: 'Parameters', parameter: [{ name: 'subscription', valueString: '%E0%A4%A' }] };

let aws: AwsStandins;
let documentClient: DynamoDBDocumentClient;
let route: FhirRouteHandler;
let handler: IngestLambdaHandler;

const ADMIN_TOKEN = 'fuzz-admin-token-0123456789';
const WRITE_TOKEN = 'fuzz-write-token-0123456789';

beforeAll(async () => {
  aws = await startAwsStandins();
  const { stateTable } = await createConnectorResources({ endpoints: aws, names: { prefix: 'route-fuzz' } });
  documentClient = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint)));
  const store = new InMemorySubscriptionStore();
  await store.save({ ...makeSubscription(), id: 'sub-1', status: 'active' });
  const lookup = subscriptionLookup(store);
  const ledger = new InMemoryVersionLedger();
  route = createIngestRouter({
    pipeline: new DefaultWritePipeline({
      ledger,
      matcher: new FakeMatcher(),
      queue: new RecordingQueue(),
    }),
    subscriptionRoute: (request) =>
      handleSubscriptionRequest(request, { store, allowedEndpoints: ALLOWED_ENDPOINTS }),
    routes: [
      (request) =>
        handleResetVersion(request, { reset: new InMemoryVersionStateReset(ledger), logger: console }),
      (request) =>
        handleBackfillRequest(request, {
          jobs: new InMemoryJobStore(),
          queue: new InMemoryWorkQueue(),
          subscriptions: lookup,
          compileCriteria,
        }),
      (request) =>
        handleReconcileRequest(request, {
          jobs: new DynamoReconcileJobStore({ client: documentClient, tableName: stateTable }),
          subscriptions: lookup,
          queue: { send: async () => undefined },
          compileCriteria,
        }),
    ],
    triggerSubscription: true,
  });
  handler = createIngestHandler({
    route,
    authenticator: createAuthenticator({
      modes: ['bearer'],
      tokens: async () => [
        { sha256: hashToken(ADMIN_TOKEN), scope: 'admin' },
        { sha256: hashToken(WRITE_TOKEN), scope: 'write' },
      ],
    }),
  });
});

afterAll(async () => {
  documentClient?.destroy();
  await aws?.stop();
});

/** `path method -> status` of every answer that is a 5xx or not an OperationOutcome when >= 400. */
const problemsOf = (answers: Array<{ label: string; status: number; body: unknown }>): string[] =>
  answers
    .filter(
      ({ status, body }) =>
        status >= 500 ||
        (status >= 400 &&
          (body as { resourceType?: string } | undefined)?.resourceType !== 'OperationOutcome'),
    )
    .map(({ label, status }) => `${label} -> ${status}`);

describe('The ingest router under malformed percent-encoding, odd paths and methods', () => {
  it('answers every request with a 4xx or better, never a 5xx, for admin and write callers', async () => {
    const answers: Array<{ label: string; status: number; body: unknown }> = [];
    for (const caller of [ADMIN_CALLER, WRITE_CALLER]) {
      for (const path of PATHS) {
        for (const method of METHODS) {
          const response: FhirResponse = await route({
            method,
            path,
            query: { '%E0%A4%A': ['%'] },
            headers: { 'content-type': 'application/fhir+json' },
            ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: BODY } : {}),
            requestId: 'fuzz',
            baseUrl: 'https://ingest.example.org/fhir',
            caller,
          });
          answers.push({
            label: `${caller.scope} ${method} ${path.slice(0, 40)}`,
            status: response.status,
            body: response.body,
          });
        }
      }
    }
    expect(answers.length).toBe(2 * PATHS.length * METHODS.length);
    expect(problemsOf(answers)).toEqual([]);
    // The issue's own case: a job id with malformed percent-encoding is the caller's mistake.
    for (const path of ['$backfill-job/%E0%A4%A', '$reconcile-job/%E0%A4%A']) {
      const response = await route({
        method: 'GET',
        path,
        query: {},
        headers: {},
        requestId: 'fuzz',
        baseUrl: 'https://ingest.example.org/fhir',
        caller: ADMIN_CALLER,
      });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toContain('malformed percent-encoding');
    }
  });

  it('answers every API Gateway event with a 4xx or better through the Lambda handler adapter', async () => {
    const context = { awsRequestId: 'fuzz', functionName: 'ingest' } as Context;
    const methods = [...METHODS, 'TRACE', 'CONNECT', 'get', 'FOO', ''];
    const answers: Array<{ label: string; status: number; body: unknown }> = [];
    for (const token of [ADMIN_TOKEN, WRITE_TOKEN, 'not-a-token']) {
      for (const path of PATHS) {
        // API Gateway hands {proxy+} decoded when it can; a malformed encoding arrives as sent.
        let decoded = path;
        try {
          decoded = decodeURIComponent(path);
        } catch {
          decoded = path;
        }
        for (const proxy of new Set([path, decoded])) {
          for (const method of methods) {
            const event = {
              resource: '/{proxy+}',
              path: `/fhir/${proxy}`,
              httpMethod: method,
              headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' },
              multiValueHeaders: null,
              queryStringParameters: { '%E0%A4%A': '%' },
              multiValueQueryStringParameters: null,
              pathParameters: { proxy },
              stageVariables: null,
              body: method === 'POST' || method === 'PUT' ? JSON.stringify(BODY) : null,
              isBase64Encoded: false,
              requestContext: { requestId: 'fuzz', stage: 'prod', identity: {} },
            } as unknown as APIGatewayProxyEvent;
            const result = await handler(event, context);
            answers.push({
              label: `${token.slice(0, 10)} ${method} ${proxy.slice(0, 40)}`,
              status: result.statusCode,
              body: result.body === '' ? undefined : JSON.parse(result.body),
            });
          }
        }
      }
    }
    expect(answers.length).toBeGreaterThan(3 * PATHS.length * methods.length);
    expect(problemsOf(answers)).toEqual([]);
  });
});
