import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createIngestHandler } from '../../lambdas/ingest/createIngestHandler.js';
import { startLocalApiGateway } from '../../local/apiGateway.js';
import type { LocalApiGateway } from '../../local/apiGateway.js';
import { awsClientConfig, createConnectorResources, startAwsStandins } from '../../local/standins/aws.js';
import type { AwsStandins, ConnectorResources } from '../../local/standins/aws.js';
import { createAuthenticator } from '../../shared/ingest/auth/createAuthenticator.js';
import { hashToken } from '../../shared/ingest/auth/hashToken.js';
import { createIngestRouter } from '../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../shared/ingest/DefaultWritePipeline.js';
import { IngestMetricsCollector } from '../../shared/ingest/IngestMetricsCollector.js';
import { SqsDeliveryQueue } from '../../shared/ingest/SqsDeliveryQueue.js';
import type { SubscriptionMatcher } from '../../shared/ingest/SubscriptionMatcher.js';
import { DynamoVersionLedger } from '../../shared/versions/DynamoVersionLedger.js';
import { FakeMatcher } from './ingestFakes.js';

export const INGEST_TOKEN = 'local-ingest-token-0123456789';

export interface IngestStack {
  readonly aws: AwsStandins;
  readonly resources: ConnectorResources;
  readonly api: LocalApiGateway;
  readonly ledger: DynamoVersionLedger;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly collector: IngestMetricsCollector;
  /** fetch against the API with the bearer token and FHIR JSON content type. */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Receives and deletes every message currently on the delivery queue. */
  drainQueue(): Promise<Message[]>;
  stop(): Promise<void>;
}

/**
 * The ingest path over real sockets: local API Gateway -> ingest handler -> dynalite (ledger) and
 * fauxqs (SQS FIFO delivery queue, S3 payload bucket).
 */
export const startIngestStack = async (
  options: {
    matcher?: SubscriptionMatcher;
    maxMessageBytes?: number;
    apiMaxBodyBytes?: number;
    ingestMaxBodyBytes?: number;
    prefix?: string;
    /** Receives the ingest handler's and router's log lines (e.g. to check nothing quotes input). */
    logger?: Logger;
  } = {},
): Promise<IngestStack> => {
  const aws = await startAwsStandins();
  const resources = await createConnectorResources({
    endpoints: aws,
    names: { prefix: options.prefix ?? 'ingest-it' },
  });
  const dynamo = new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint));
  const sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
  const s3 = new S3Client({ ...awsClientConfig(aws.s3Endpoint), forcePathStyle: true });
  const ledger = new DynamoVersionLedger({
    client: DynamoDBDocumentClient.from(dynamo),
    tableName: resources.stateTable,
  });
  const collector = new IngestMetricsCollector();
  const pipeline = new DefaultWritePipeline({
    ledger,
    matcher: options.matcher ?? new FakeMatcher(),
    queue: new SqsDeliveryQueue({
      sqs,
      queueUrl: resources.deliveryQueueUrl,
      s3,
      bucket: resources.payloadBucket,
      serverSideEncryption: 'AES256',
      ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {}),
    }),
  });
  const handler = createIngestHandler({
    route: createIngestRouter({
      pipeline,
      observer: collector,
      ...(options.logger ? { logger: options.logger } : {}),
    }),
    ...(options.logger ? { logger: options.logger } : {}),
    authenticator: createAuthenticator({
      modes: ['bearer', 'iam'],
      tokens: async () => [{ sha256: hashToken(INGEST_TOKEN), scope: 'admin' }],
    }),
    collector,
    ...(options.ingestMaxBodyBytes ? { maxBodyBytes: options.ingestMaxBodyBytes } : {}),
  });
  const api = await startLocalApiGateway({
    handler,
    basePath: '/fhir',
    ...(options.apiMaxBodyBytes ? { maxBodyBytes: options.apiMaxBodyBytes } : {}),
  });
  return {
    aws,
    resources,
    api,
    ledger,
    sqs,
    s3,
    collector,
    request: (method, path, body, headers = {}) =>
      fetch(`${api.url}/${path}`, {
        method,
        headers: {
          authorization: `Bearer ${INGEST_TOKEN}`,
          'content-type': 'application/fhir+json',
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
    drainQueue: async () => {
      const all: Message[] = [];
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: resources.deliveryQueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
          }),
        );
        if (Messages.length === 0) return all;
        all.push(...Messages);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: resources.deliveryQueueUrl,
            Entries: Messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
    },
    stop: async () => {
      await api.stop();
      dynamo.destroy();
      sqs.destroy();
      s3.destroy();
      await aws.stop();
    },
  };
};
