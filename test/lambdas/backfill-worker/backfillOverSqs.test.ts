import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBackfillWorkerHandler } from '../../../lambdas/backfill-worker/handler.js';
import { EventSourceMapping } from '../../../local/eventSourceMapping.js';
import type { AwsStandins, ConnectorResources } from '../../../local/standins/aws.js';
import { awsClientConfig, createConnectorResources, startAwsStandins } from '../../../local/standins/aws.js';
import type { FhirStandin } from '../../../local/standins/healthlake/index.js';
import { seedResources, startFhirSourceStandin } from '../../../local/standins/healthlake/index.js';
import { DynamoJobStore } from '../../../shared/backfill/DynamoJobStore.js';
import { handleBackfillRequest } from '../../../shared/backfill/handleBackfillRequest.js';
import { FhirClient } from '../../../shared/fhirClient/FhirClient.js';
import { SqsWorkQueue } from '../../../shared/backfill/SqsWorkQueue.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import {
  CrashingPipeline,
  activeSubscription,
  createPipeline,
  fakeSubscriptions,
  patient,
} from '../../shared/backfill/harness.js';

const COUNT = 57;

describe('Backfill over SQS and DynamoDB stand-ins', () => {
  let aws: AwsStandins;
  let resources: ConnectorResources;
  let source: FhirStandin;
  let sqs: SQSClient;
  let dynamo: DynamoDBClient;

  beforeAll(async () => {
    aws = await startAwsStandins();
    resources = await createConnectorResources({
      endpoints: {
        sqsEndpoint: aws.sqsEndpoint,
        s3Endpoint: aws.s3Endpoint,
        dynamoEndpoint: aws.dynamoEndpoint,
      },
      names: { prefix: 'bf-it' },
      visibilityTimeoutSeconds: 1,
    });
    source = await startFhirSourceStandin();
    seedResources(
      source.store,
      Array.from({ length: COUNT }, (_, i) => patient(`p${i}`)),
    );
    sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
    dynamo = new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint));
  });
  afterAll(async () => {
    sqs?.destroy();
    dynamo?.destroy();
    await source?.stop();
    await aws?.stop();
  });

  it('resumes a page after the worker dies mid-page and ends with every resource exactly once', async () => {
    const documents = DynamoDBDocumentClient.from(dynamo, {
      marshallOptions: { removeUndefinedValues: true },
    });
    const jobs = new DynamoJobStore({ client: documents, tableName: resources.stateTable });
    const queue = new SqsWorkQueue({ client: sqs, queueUrl: resources.backfillQueueUrl });
    const subscriptions = fakeSubscriptions({ 'sub-1': { status: 'active', criteria: '[Patient]' } });
    const { pipeline, healthLake, messages } = createPipeline([activeSubscription('sub-1', '[Patient]')]);
    const crashing = new CrashingPipeline(pipeline);
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'backfill-worker' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockReturnValue(metrics);
    const handler = createBackfillWorkerHandler({
      jobs,
      queue,
      subscriptions,
      source: new FhirClient({
        baseUrl: source.endpoint,
        pageSize: 10,
        retry: { maxAttempts: 3, baseDelayMs: 1 },
      }),
      pipeline: crashing,
      compileCriteria,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
    });
    let invocations = 0;
    const mapping = new EventSourceMapping({
      sqs,
      queueUrl: resources.backfillQueueUrl,
      batchSize: 1,
      handler: async (event, context) => {
        invocations += 1;
        // The third page's first invocation records 3 of its resources, then the "Lambda" dies.
        if (invocations === 3) crashing.crashAfter = 3;
        return handler(event, context);
      },
    });
    await mapping.start();
    try {
      const response = await handleBackfillRequest(
        {
          method: 'POST',
          path: 'Subscription/sub-1/$trigger-subscription',
          query: {},
          headers: {},
          requestId: 'it-1',
          baseUrl: 'https://connector.test/fhir',
          body: {
            resourceType: 'Parameters',
            parameter: [{ name: 'searchUrl', valueString: 'Patient?gender=unknown' }],
          },
        },
        { jobs, queue, subscriptions, compileCriteria },
      );
      expect(response?.status).toBe(202);
      const jobId =
        (response?.body as { parameter: { valueString?: string }[] }).parameter[0]?.valueString ?? '';
      await vi.waitFor(
        async () => {
          expect((await jobs.get(jobId))?.state).toBe('completed');
        },
        { timeout: 20_000, interval: 100 },
      );
      const job = await jobs.get(jobId);
      expect(crashing.crashes).toBe(1);
      expect(job?.counts).toMatchObject({ read: COUNT, matched: COUNT, enqueued: COUNT, skipped: 0 });
      expect(job?.streams[0]).toMatchObject({ page: 5, done: true });
      expect(healthLake.current.size).toBe(COUNT);
      expect(new Set(healthLake.puts).size).toBe(COUNT);
      expect(healthLake.puts).toHaveLength(COUNT);
      expect(messages).toHaveLength(COUNT + 3);
      expect(invocations).toBe(7); // 6 pages + 1 redelivery
    } finally {
      await mapping.stop();
    }
  });
});
