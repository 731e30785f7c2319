import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { TABLE_KEYS } from '../../shared/state/tableLayout.js';
import { createFauxqsStores } from './fauxqsStores.js';

/** Static credentials the emulators accept (they do not verify signatures). */
export const TEST_CREDENTIALS = {
  accessKeyId: 'AKIDLOCALSTANDIN',
  secretAccessKey: 'local-standin-secret',
} as const;
export const TEST_REGION = 'us-east-1';

/** Client configuration pointing an AWS SDK v3 client at a stand-in endpoint. */
export const awsClientConfig = (endpoint: string, region: string = TEST_REGION) => ({
  region,
  endpoint,
  credentials: { ...TEST_CREDENTIALS },
});

export interface AwsStandins {
  /** fauxqs serves SQS and S3 on the same endpoint. */
  readonly sqsEndpoint: string;
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  /**
   * When the oldest message of a queue (by URL; ready, delayed or in flight) was sent, epoch ms, read
   * in process without receiving it; undefined when the queue is empty or unknown.
   */
  oldestSentMs(queueUrl: string): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts fauxqs (SQS + S3) and dynalite (DynamoDB) on random loopback ports: in memory, or with
 * `dataDir` persistent in `{dataDir}/sqs-s3` (fauxqs's SQLite) and `{dataDir}/dynamodb` (LevelDB).
 * fauxqs is built with `buildApp` rather than `startFauxqs` because the latter always binds 0.0.0.0;
 * without a configured host its queue URLs echo the request host (`http://127.0.0.1:{port}/000000000000/{name}`),
 * so they are directly usable.
 *
 * @example
 * const aws = await startAwsStandins();
 * const sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
 * await aws.stop();
 */
export const startAwsStandins = async (
  options: { host?: string; dataDir?: string } = {},
): Promise<AwsStandins> => {
  const host = options.host ?? '127.0.0.1';
  const folder = (name: string) => {
    if (!options.dataDir) return undefined;
    const path = join(options.dataDir, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const queues = await createFauxqsStores(folder('sqs-s3'));
  const fauxqs = buildApp({
    logger: false,
    stores: queues.stores as unknown as NonNullable<Parameters<typeof buildApp>[0]>['stores'],
  });
  fauxqs.addHook('onClose', () => queues.close());
  await fauxqs.listen({ port: 0, host });
  const fauxqsPort = (fauxqs.server.address() as AddressInfo).port;
  const dynamoPath = folder('dynamodb');
  const dynamo = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dynamoPath ? { path: dynamoPath } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      dynamo.once('error', reject);
      dynamo.listen(0, host, () => resolve());
    });
  } catch (error) {
    await fauxqs.close();
    throw error;
  }
  const dynamoPort = (dynamo.address() as AddressInfo).port;
  const fauxqsEndpoint = `http://${host}:${fauxqsPort}`;
  let stopped = false;
  return {
    sqsEndpoint: fauxqsEndpoint,
    s3Endpoint: fauxqsEndpoint,
    dynamoEndpoint: `http://${host}:${dynamoPort}`,
    oldestSentMs: (queueUrl) => queues.oldestSentMs(queueUrl.slice(queueUrl.lastIndexOf('/') + 1)),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await Promise.all([
        fauxqs.close(),
        new Promise<void>((resolve) => {
          dynamo.closeAllConnections?.();
          dynamo.close(() => resolve());
        }),
      ]);
    },
  };
};

export interface ConnectorResourceNames {
  /** Prefix of every name; `delivery` becomes `{prefix}-delivery.fifo`. */
  prefix: string;
}

export interface ConnectorResources {
  deliveryQueueUrl: string;
  deliveryQueueArn: string;
  deliveryDlqUrl: string;
  deliveryDlqArn: string;
  backfillQueueUrl: string;
  backfillDlqUrl: string;
  reconcileQueueUrl: string;
  reconcileDlqUrl: string;
  payloadBucket: string;
  stateTable: string;
  /** Whether the DynamoDB endpoint accepted the TTL setting (dynalite does not implement it). */
  ttlEnabled: boolean;
}

/** Endpoints of the emulators (or of real AWS when omitted, with the SDK's default resolution). */
export interface ConnectorEndpoints {
  sqsEndpoint?: string;
  s3Endpoint?: string;
  dynamoEndpoint?: string;
}

/**
 * Stand-in endpoints get the static test credentials; any other endpoint (real AWS or a compatible
 * service) uses the SDK's default credential chain.
 */
export const clientConfig = (
  endpoint: string | undefined,
  region: string,
  isStandin: (endpoint: string) => boolean,
) => {
  if (endpoint === undefined) return { region };
  return isStandin(endpoint) ? awsClientConfig(endpoint, region) : { region, endpoint };
};

/**
 * Creates, idempotently, the queues, bucket and table the connector uses: a FIFO delivery queue with a
 * FIFO DLQ (redrive after `maxReceiveCount` receives), a standard backfill queue and a standard reconcile
 * queue, each with its DLQ, the S3
 * payload bucket and the state table laid out as `shared/state/tableLayout.ts` documents.
 */
export const createConnectorResources = async (options: {
  endpoints: ConnectorEndpoints;
  names?: Partial<ConnectorResourceNames>;
  maxReceiveCount?: number;
  /** Visibility timeout of the delivery queue, seconds (default 30). */
  visibilityTimeoutSeconds?: number;
  /** Region of the clients (default us-east-1). */
  region?: string;
  /** Which endpoints are stand-ins that take the test credentials (default: every given endpoint). */
  isStandin?: (endpoint: string) => boolean;
}): Promise<ConnectorResources> => {
  const region = options.region ?? TEST_REGION;
  const isStandin = options.isStandin ?? (() => true);
  const prefix = options.names?.prefix ?? 'hlc-local';
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  const visibility = String(options.visibilityTimeoutSeconds ?? 30);
  const sqs = new SQSClient(clientConfig(options.endpoints.sqsEndpoint, region, isStandin));
  const s3 = new S3Client({
    ...clientConfig(options.endpoints.s3Endpoint, region, isStandin),
    forcePathStyle: true,
  });
  const dynamo = new DynamoDBClient(clientConfig(options.endpoints.dynamoEndpoint, region, isStandin));
  try {
    const createQueue = async (name: string, attributes: Record<string, string>) => {
      const { QueueUrl } = await sqs
        .send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))
        .catch(async (error: unknown) => {
          // A queue kept by a data folder, created with other settings (--visibility-timeout,
          // --max-receive-count): take it and apply this start's settings.
          // fauxqs names it AWS.SimpleQueueService.QueueNameExists, the SDK's class QueueNameExists.
          if (!(error instanceof QueueNameExists || (error as Error).name?.endsWith('.QueueNameExists'))) {
            throw error;
          }
          const existing = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
          const { FifoQueue: _fifo, ContentBasedDeduplication: _dedup, ...settable } = attributes;
          await sqs.send(
            new SetQueueAttributesCommand({ QueueUrl: existing.QueueUrl, Attributes: settable }),
          );
          return existing;
        });
      if (!QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
      const url = standinQueueUrl(QueueUrl, options.endpoints.sqsEndpoint, isStandin);
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      );
      const arn = Attributes?.QueueArn;
      if (!arn) throw new Error(`GetQueueAttributes returned no ARN for ${name}`);
      return { url, arn };
    };
    const fifo = { FifoQueue: 'true', ContentBasedDeduplication: 'false' };
    const deliveryDlq = await createQueue(`${prefix}-delivery-dlq.fifo`, {
      ...fifo,
      MessageRetentionPeriod: '1209600',
    });
    const delivery = await createQueue(`${prefix}-delivery.fifo`, {
      ...fifo,
      VisibilityTimeout: visibility,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deliveryDlq.arn, maxReceiveCount }),
    });
    const backfillDlq = await createQueue(`${prefix}-backfill-dlq`, { MessageRetentionPeriod: '1209600' });
    const backfill = await createQueue(`${prefix}-backfill`, {
      VisibilityTimeout: visibility,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: backfillDlq.arn, maxReceiveCount }),
    });

    const reconcileDlq = await createQueue(`${prefix}-reconcile-dlq`, { MessageRetentionPeriod: '1209600' });
    const reconcile = await createQueue(`${prefix}-reconcile`, {
      VisibilityTimeout: visibility,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: reconcileDlq.arn, maxReceiveCount }),
    });

    const payloadBucket = `${prefix}-payloads`;
    try {
      await s3.send(new HeadBucketCommand({ Bucket: payloadBucket }));
    } catch {
      await s3.send(new CreateBucketCommand({ Bucket: payloadBucket }));
    }

    const stateTable = `${prefix}-state`;
    try {
      await dynamo.send(
        new CreateTableCommand({
          TableName: stateTable,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: TABLE_KEYS.partition, AttributeType: 'S' },
            { AttributeName: TABLE_KEYS.sort, AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: TABLE_KEYS.partition, KeyType: 'HASH' },
            { AttributeName: TABLE_KEYS.sort, KeyType: 'RANGE' },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitForTableActive(dynamo, stateTable);
    let ttlEnabled = true;
    try {
      await dynamo.send(
        new UpdateTimeToLiveCommand({
          TableName: stateTable,
          TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttl, Enabled: true },
        }),
      );
    } catch {
      // dynalite does not implement UpdateTimeToLive; items simply never expire locally.
      ttlEnabled = false;
    }

    return {
      deliveryQueueUrl: delivery.url,
      deliveryQueueArn: delivery.arn,
      deliveryDlqUrl: deliveryDlq.url,
      deliveryDlqArn: deliveryDlq.arn,
      backfillQueueUrl: backfill.url,
      backfillDlqUrl: backfillDlq.url,
      reconcileQueueUrl: reconcile.url,
      reconcileDlqUrl: reconcileDlq.url,
      payloadBucket,
      stateTable,
      ttlEnabled,
    };
  } finally {
    sqs.destroy();
    s3.destroy();
    dynamo.destroy();
  }
};

/**
 * A queue restored from a data folder keeps the URL it was created with, whose port is the SQS
 * stand-in's of that earlier start; fauxqs finds queues by name whatever the host, so the URL is
 * served where the stand-in listens now. Other endpoints' URLs are kept as given.
 */
const standinQueueUrl = (
  queueUrl: string,
  endpoint: string | undefined,
  isStandin: (endpoint: string) => boolean,
): string => {
  if (!endpoint || !isStandin(endpoint)) return queueUrl;
  const given = new URL(queueUrl);
  const current = new URL(endpoint);
  return given.port === current.port ? queueUrl : `${current.origin}${given.pathname}`;
};

const waitForTableActive = async (dynamo: DynamoDBClient, table: string): Promise<void> => {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: table }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${table} did not become ACTIVE`);
};
