import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../../lambdas/ingest/createIngestHandler.js';
import { ingestDepsFromEnv } from '../../../lambdas/ingest/ingestDepsFromEnv.js';
import { startLocalApiGateway } from '../../../local/apiGateway.js';
import type { LocalApiGateway } from '../../../local/apiGateway.js';
import {
  createConnectorResources,
  startAwsStandins,
  TEST_CREDENTIALS,
  TEST_REGION,
} from '../../../local/standins/aws.js';
import type { AwsStandins } from '../../../local/standins/aws.js';
import { ENV } from '../../../shared/config/constants.js';
import { INGEST_ENV } from '../../../shared/ingest/constants.js';
import { parseDeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import { patient } from '../../helpers/ingestFakes.js';
import {
  ALLOWED_ENDPOINTS,
  channelExtension,
  DATASTORE_A,
  DATASTORE_B,
  makeSubscription,
} from '../../helpers/subscriptions.js';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../../../local/standins/aws.js';

const ADMIN_ROLE = 'arn:aws:iam::000000000000:role/connector-admin';

describe('The ingest handler wired from its environment (IAM mode, real subscription module)', () => {
  let aws: AwsStandins;
  let api: LocalApiGateway;
  let sqs: SQSClient;
  let queueUrl: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    aws = await startAwsStandins();
    const resources = await createConnectorResources({ endpoints: aws, names: { prefix: 'ingest-env' } });
    queueUrl = resources.deliveryQueueUrl;
    Object.assign(process.env, {
      AWS_REGION: TEST_REGION,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoEndpoint,
      AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
      AWS_ENDPOINT_URL_S3: aws.s3Endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      [ENV.stateTable]: resources.stateTable,
      [ENV.deliveryQueueUrl]: resources.deliveryQueueUrl,
      [ENV.payloadBucket]: resources.payloadBucket,
      [ENV.allowedEndpoints]: ALLOWED_ENDPOINTS.join(','),
      [INGEST_ENV.authModes]: 'iam',
      [INGEST_ENV.adminPrincipalArns]: ADMIN_ROLE,
      [ENV.connectorId]: 'env_prod',
      [ENV.autoSubscription]: 'true',
      [ENV.healthLakeEndpoint]: DATASTORE_B,
      [ENV.deliveryRetryCount]: '5',
    });
    const handler = createIngestHandler(ingestDepsFromEnv());
    api = await startLocalApiGateway({
      handler,
      basePath: '/fhir',
      // The test picks the SigV4 caller per request; API Gateway puts the verified one in the context.
      iamIdentity: (request) =>
        request.headers['x-test-caller'] === 'admin'
          ? {
              userArn: 'arn:aws:sts::000000000000:assumed-role/connector-admin/alice',
              caller: 'AROAADMIN:alice',
            }
          : { userArn: 'arn:aws:iam::000000000000:role/producer', caller: 'AROALOCAL' },
    });
    sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
  });

  afterAll(async () => {
    process.env = saved;
    sqs?.destroy();
    await api?.stop();
    await aws?.stop();
  });

  const send = (method: string, path: string, body?: unknown, caller: 'admin' | 'producer' = 'admin') =>
    fetch(`${api.url}/${path}`, {
      method,
      headers: { 'content-type': 'application/fhir+json', 'x-test-caller': caller },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('activates a Subscription through the API and delivers a matching write to its endpoint', async () => {
    const created = await send('PUT', 'Subscription/env-sub', {
      ...makeSubscription({ criteria: '[Patient]' }),
      id: 'env-sub',
    });
    expect(created.status).toBeLessThan(300);
    expect(await created.json()).toMatchObject({ status: 'active' });
    const written = await send('PUT', 'Patient/env-1', patient({ id: 'env-1' }), 'producer');
    expect(written.status).toBe(200);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toHaveLength(1);
    const message = parseDeliveryMessage(Messages[0]?.Body ?? '');
    expect(message).toMatchObject({
      resourceType: 'Patient',
      id: 'env-1',
      subscription: { id: 'env-sub', endpoint: DATASTORE_A },
    });
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  });

  it('sends a Subscription without channel.endpoint to HEALTHLAKE_ENDPOINT, warning of a retry count above DELIVERY_RETRY_COUNT', async () => {
    const body = makeSubscription(
      { id: 'smile-sub' },
      { extension: [channelExtension.deliveryRetryCount(20)] },
    );
    const { endpoint: _endpoint, ...channel } = body.channel;
    const created = await send('PUT', 'Subscription/smile-sub', { ...body, channel });
    expect(created.status).toBe(201);
    const warning = created.headers.get('warning') ?? '';
    expect(warning).toMatch(/channel\.endpoint is absent/);
    expect(warning).toMatch(/limit of 5 retries/);
    expect(await created.json()).toMatchObject({ status: 'active', channel: { endpoint: DATASTORE_B } });
  });

  it('refuses to start with a Smile module mapped to a data store outside the allow-list, naming the module', () => {
    const outside =
      'https://healthlake.us-east-1.amazonaws.com/datastore/99999999999999999999999999999999/r4/';
    expect(() =>
      ingestDepsFromEnv({ ...process.env, [ENV.healthLakeModuleEndpoints]: `cdr_b=${outside}` }),
    ).toThrow(
      /module cdr_b of HEALTHLAKE_MODULE_ENDPOINTS maps to a data store not on ALLOWED_HEALTHLAKE_ENDPOINTS/,
    );
    const started = ingestDepsFromEnv({
      ...process.env,
      [ENV.healthLakeModuleEndpoints]: `cdr_a=${DATASTORE_A}`,
    });
    started.destroy();
  });

  it('refuses operator routes to an IAM caller that is not on the admin list (403, nothing changed)', async () => {
    const create = await send(
      'PUT',
      'Subscription/rogue',
      { ...makeSubscription(), id: 'rogue' },
      'producer',
    );
    expect(create.status).toBe(403);
    expect(await create.json()).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ code: 'forbidden' }],
    });
    const list = await send('GET', 'Subscription', undefined, 'producer');
    expect(list.status).toBe(403);
    const asAdmin = await send('GET', 'Subscription/rogue');
    expect(asAdmin.status).toBe(404);
  });

  it('refuses PUT and DELETE of the auto-managed Subscription, even to an admin', async () => {
    const response = await send('DELETE', 'Subscription/env-prod');
    expect(response.status).toBe(403);
    expect(JSON.stringify(await response.json())).toContain('autoSubscription.enabled');
  });

  it('states IAM authentication and the Subscription interactions in its CapabilityStatement', async () => {
    const response = await send('GET', 'metadata');
    const text = JSON.stringify(await response.json());
    expect(text).toContain('IAM (SigV4)');
    expect(text).toContain('"type":"Subscription"');
  });
});
