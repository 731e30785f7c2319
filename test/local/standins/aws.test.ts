import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
  type ConnectorResources,
} from '../../../local/standins/aws.js';
import { ledgerKey } from '../../../shared/state/tableLayout.js';

describe('AWS stand-ins (fauxqs + dynalite)', () => {
  let aws: AwsStandins;
  let resources: ConnectorResources;
  let sqs: SQSClient;

  beforeAll(async () => {
    aws = await startAwsStandins();
    resources = await createConnectorResources({ endpoints: aws, maxReceiveCount: 2 });
    sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
  });

  afterAll(async () => {
    sqs?.destroy();
    await aws?.stop();
  });

  it('creates the resources idempotently, returning the same names', async () => {
    const again = await createConnectorResources({ endpoints: aws, maxReceiveCount: 2 });
    expect(again).toEqual(resources);
    expect(resources.deliveryQueueUrl).toMatch(/-delivery\.fifo$/);
    expect(resources.deliveryDlqUrl).toMatch(/-delivery-dlq\.fifo$/);
  });

  it('configures the delivery queue as FIFO without content-based deduplication, redriving to the DLQ', async () => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: resources.deliveryQueueUrl, AttributeNames: ['All'] }),
    );
    expect(Attributes?.FifoQueue).toBe('true');
    expect(Attributes?.ContentBasedDeduplication).toBe('false');
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: resources.deliveryDlqArn,
      maxReceiveCount: 2,
    });
  });

  it('moves a FIFO message to the FIFO DLQ after maxReceiveCount receives', async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.deliveryQueueUrl,
        MessageBody: '{"resourceType":"Patient","id":"p1"}',
        MessageGroupId: 'Patient/p1',
        MessageDeduplicationId: 'Patient/p1/1',
      }),
    );
    const receiveCounts: string[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: resources.deliveryQueueUrl,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const count = Messages?.[0]?.Attributes?.ApproximateReceiveCount;
      if (count) receiveCounts.push(count);
    }
    expect(receiveCounts).toEqual(['1', '2']);
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: resources.deliveryDlqUrl,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['MessageGroupId'],
      }),
    );
    expect(Messages).toHaveLength(1);
    expect(Messages?.[0]?.Body).toBe('{"resourceType":"Patient","id":"p1"}');
    expect(Messages?.[0]?.Attributes?.MessageGroupId).toBe('Patient/p1');
  });

  it('stores and reads back payloads in the S3 bucket', async () => {
    const s3 = new S3Client({ ...awsClientConfig(aws.s3Endpoint), forcePathStyle: true });
    try {
      await s3.send(
        new PutObjectCommand({ Bucket: resources.payloadBucket, Key: 'a/b.json', Body: '{"x":1}' }),
      );
      const object = await s3.send(
        new GetObjectCommand({ Bucket: resources.payloadBucket, Key: 'a/b.json' }),
      );
      expect(await object.Body?.transformToString()).toBe('{"x":1}');
    } finally {
      s3.destroy();
    }
  });

  it('creates the state table with string pk/sk and on-demand billing', async () => {
    const dynamo = new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint));
    try {
      const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: resources.stateTable }));
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      const key = ledgerKey('Patient/p1');
      await dynamo.send(
        new PutItemCommand({
          TableName: resources.stateTable,
          Item: { pk: { S: key.pk }, sk: { S: key.sk }, version: { S: '3' } },
        }),
      );
      const { Item } = await dynamo.send(
        new GetItemCommand({
          TableName: resources.stateTable,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        }),
      );
      expect(Item?.version?.S).toBe('3');
    } finally {
      dynamo.destroy();
    }
  });
});
