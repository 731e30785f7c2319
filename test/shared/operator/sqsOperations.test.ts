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
import { deadLetterInput } from '../../../shared/messages/deadLetter.js';
import { describeDlqMessage } from '../../../shared/operator/describeDlqMessage.js';
import { peekMessages } from '../../../shared/operator/peekMessages.js';
import { queueStatus } from '../../../shared/operator/queueStatus.js';
import { redriveDlq } from '../../../shared/operator/redriveDlq.js';

const deliveryBody = (id: string) =>
  JSON.stringify({
    schema: 'healthlake-connector/delivery/v1',
    operation: 'upsert',
    resourceType: 'Patient',
    id,
    versionId: '3',
    lastUpdated: '2026-01-01T00:00:00Z',
    subscription: {
      id: 'sub-1',
      endpoint: 'http://127.0.0.1:1/r4/',
      stripVersionIds: false,
      deliverLatestVersion: true,
    },
    trace: { ingestedAt: '2026-01-01T00:00:00Z', requestId: 'r', source: 'ingest' },
    payload: { kind: 'inline', resource: { resourceType: 'Patient', id, name: [{ family: 'SECRET-NAME' }] } },
  });

describe('Operator queue functions against the SQS stand-in', () => {
  let aws: AwsStandins;
  let resources: ConnectorResources;
  let sqs: SQSClient;

  beforeAll(async () => {
    aws = await startAwsStandins();
    resources = await createConnectorResources({ endpoints: aws, names: { prefix: 'op-test' } });
    sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
  });

  afterAll(async () => {
    sqs?.destroy();
    await aws?.stop();
  });

  const deadLetter = async (id: string) =>
    sqs.send(
      new SendMessageCommand(
        deadLetterInput({
          queueUrl: resources.deliveryDlqUrl,
          body: deliveryBody(id),
          groupId: `Patient/${id}`,
          kind: 'terminal',
          cause: {
            reason: 'http-status',
            status: 422,
            issueCode: 'processing',
            diagnostics: 'Element Patient.name: (value omitted) rejected',
            attempt: 1,
            at: '2026-01-01T00:00:00Z',
          },
          summary: {
            messageId: `m-${id}`,
            resourceType: 'Patient',
            id,
            versionId: '3',
            operation: 'upsert',
            subscriptionId: 'sub-1',
          },
        }),
      ),
    );

  it('lists dead letters with their recorded cause and without content unless asked', async () => {
    await deadLetter('p1');
    await deadLetter('p2');
    const messages = await peekMessages(sqs, resources.deliveryDlqUrl);
    expect(messages).toHaveLength(2);
    const entries = messages.map((message) => describeDlqMessage(message));
    expect(entries.map((entry) => entry.resource).sort()).toEqual(['Patient/p1', 'Patient/p2']);
    expect(entries[0]?.cause).toContain('terminal | http-status | HTTP 422 | processing');
    expect(entries[0]?.subscriptionId).toBe('sub-1');
    expect(JSON.stringify(entries)).not.toContain('SECRET-NAME');
    const withContent = describeDlqMessage(messages[0]!, { showContent: true });
    expect(JSON.stringify(withContent.content)).toContain('SECRET-NAME');
  });

  it('shows HealthLake diagnostics only with --show-content', async () => {
    const [message] = await peekMessages(sqs, resources.deliveryDlqUrl);
    expect(describeDlqMessage(message!).cause).toContain('diagnostics hidden (--show-content)');
    expect(describeDlqMessage(message!).cause).not.toContain('Patient.name');
    expect(describeDlqMessage(message!, { showContent: true }).cause).toContain('Element Patient.name');
  });

  it('leaves peeked messages visible and reports queue depths', async () => {
    const depths = await queueStatus(sqs, {
      delivery: resources.deliveryQueueUrl,
      dlq: resources.deliveryDlqUrl,
      missing: undefined,
    });
    expect(depths.map((depth) => depth.name)).toEqual(['delivery', 'dlq']);
    expect(depths.find((depth) => depth.name === 'dlq')).toMatchObject({ visible: 2, inFlight: 0 });
  });

  it('redrives the DLQ by copying when StartMessageMoveTask is missing, keeping bodies and groups', async () => {
    const result = await redriveDlq(sqs, {
      dlqUrl: resources.deliveryDlqUrl,
      sourceQueueUrl: resources.deliveryQueueUrl,
    });
    expect(result).toMatchObject({ method: 'copy', moved: 2, failed: 0 });
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: resources.deliveryDlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe('0');
    const received = [];
    for (let attempt = 0; attempt < 5 && received.length < 2; attempt += 1) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: resources.deliveryQueueUrl,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      received.push(...Messages);
    }
    expect(received.map((message) => message.Attributes?.MessageGroupId).sort()).toEqual([
      'Patient/p1',
      'Patient/p2',
    ]);
    expect(received.map((message) => JSON.parse(message.Body ?? '{}').id).sort()).toEqual(['p1', 'p2']);
  });
});
