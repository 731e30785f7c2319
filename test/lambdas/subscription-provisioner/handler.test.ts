import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { handler as provisionerHandler } from '../../../lambdas/subscription-provisioner/handler.js';
import { subscriptionProvisionerHandlerFromEnv } from '../../../lambdas/subscription-provisioner/subscriptionProvisionerHandlerFromEnv.js';
import { ENV } from '../../../shared/config/constants.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const ENDPOINT = 'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/';

let handler: typeof provisionerHandler;

beforeAll(async () => {
  process.env[ENV.stateTable] = 'state-table';
  // The handler reads its environment at module load.
  ({ handler } = await import('../../../lambdas/subscription-provisioner/handler.js'));
});

beforeEach(() => {
  dynamo.on(QueryCommand).resolves({ Items: [] });
});

afterEach(() => {
  dynamo.reset();
});

const event = (
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, string> = {},
): CloudFormationCustomResourceEvent =>
  ({
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:provider',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/s/1',
    RequestId: 'request-1',
    LogicalResourceId: 'AutoSubscription',
    ResourceType: 'Custom::AutoManagedSubscription',
    PhysicalResourceId: 'Subscription/example-connector',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:provider',
      ConnectorId: 'example_connector',
      Criteria: '[*]',
      Endpoint: ENDPOINT,
      AllowedEndpoints: ENDPOINT,
      RetryCount: '10',
      ...properties,
    },
  }) as unknown as CloudFormationCustomResourceEvent;

describe('Lambda: subscription-provisioner', () => {
  it('creates the auto-managed Subscription and reports its id as the physical id', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(PutCommand).resolves({});

    const response = await handler(event('Create'));

    expect(response).toEqual({
      PhysicalResourceId: 'Subscription/example-connector',
      Data: { SubscriptionId: 'example-connector' },
    });
    const [put] = dynamo.commandCalls(PutCommand);
    expect(put?.args[0].input.TableName).toBe('state-table');
    const stored = JSON.parse(String(put?.args[0].input.Item?.resource)) as Record<string, unknown>;
    expect(stored).toMatchObject({
      resourceType: 'Subscription',
      id: 'example-connector',
      status: 'active',
      criteria: '[*]',
      channel: { type: 'rest-hook', endpoint: ENDPOINT },
    });
  });

  it('puts a stored Subscription whose data store left the allow-list into error, with the reason', async () => {
    const other = 'https://healthlake.us-east-1.amazonaws.com/datastore/fedcba9876543210fedcba9876543210/r4/';
    const stored = {
      resourceType: 'Subscription',
      id: 'labs',
      status: 'active',
      reason: 'labs',
      criteria: 'Observation?status=final',
      channel: { type: 'rest-hook', endpoint: other, payload: 'application/fhir+json' },
      meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' },
    };
    const labsItem = {
      pk: 'SUBSCRIPTION',
      sk: 'labs',
      versionId: '1',
      lastUpdated: stored.meta.lastUpdated,
      deleted: false,
      status: 'active',
      resource: JSON.stringify(stored),
    };
    dynamo.on(GetCommand).resolves({});
    dynamo.on(GetCommand, { Key: { pk: 'SUBSCRIPTION', sk: 'labs' } }).resolves({ Item: labsItem });
    dynamo.on(PutCommand).resolves({});
    dynamo.on(QueryCommand).resolves({ Items: [labsItem] });

    await handler(event('Update'));

    const labs = dynamo
      .commandCalls(PutCommand)
      .map((call) => call.args[0].input.Item)
      .find((item) => item?.sk === 'labs');
    const updated = JSON.parse(String(labs?.resource)) as { status: string; error?: string };
    expect(updated.status).toBe('error');
    expect(updated.error).toMatch(/allow/i);
    expect(updated.error).not.toContain('status=final');
  });

  it('leaves the Subscription in place when the custom resource is deleted', async () => {
    const response = await handler(event('Delete'));

    expect(response).toEqual({ PhysicalResourceId: 'Subscription/example-connector' });
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('fails the deployment with a clear message when a property is missing', async () => {
    await expect(handler(event('Update', { Endpoint: '' }))).rejects.toThrow(
      'Custom resource property Endpoint is missing',
    );
  });

  it('fails the deployment when the criteria cannot be evaluated', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(PutCommand).resolves({});

    await expect(
      handler(event('Update', { Criteria: 'Observation?code:below=http://loinc.org|1' })),
    ).rejects.toThrow();
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('Lambda: subscription-provisioner with a role as new as the deploy', () => {
  /** AccessDenied as DynamoDB answers it while IAM has not yet propagated the role's policy. */
  const accessDenied = () =>
    Object.assign(new Error('User is not authorized to perform: dynamodb:GetItem'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
  /** A fake clock: sleeping moves it forward, nothing really waits. */
  const fakeClock = () => {
    const clock = { now: 0, sleeps: [] as number[] };
    return {
      clock,
      retry: {
        now: () => clock.now,
        sleep: async (ms: number) => {
          clock.sleeps.push(ms);
          clock.now += ms;
        },
      },
    };
  };
  const build = (retry: ReturnType<typeof fakeClock>['retry']) =>
    subscriptionProvisionerHandlerFromEnv(
      { [ENV.stateTable]: 'state-table', AWS_REGION: 'us-east-1' },
      { logger: new Logger({ logLevel: 'SILENT' }) },
      retry,
    );

  it('retries AccessDenied with growing waits and creates the Subscription once IAM has caught up', async () => {
    const { clock, retry } = fakeClock();
    dynamo
      .on(GetCommand)
      .rejectsOnce(accessDenied())
      .rejectsOnce(accessDenied())
      .rejectsOnce(accessDenied())
      .resolves({});
    dynamo.on(PutCommand).resolves({});
    const provision = build(retry);
    try {
      await expect(provision(event('Create'))).resolves.toMatchObject({
        PhysicalResourceId: 'Subscription/example-connector',
      });
    } finally {
      provision.destroy();
    }
    expect(clock.sleeps).toEqual([1_000, 2_000, 4_000]);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('gives up after about 30 s of AccessDenied and fails the deployment with that error', async () => {
    const { clock, retry } = fakeClock();
    dynamo.on(GetCommand).rejects(accessDenied());
    const provision = build(retry);
    try {
      await expect(provision(event('Create'))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    } finally {
      provision.destroy();
    }
    // 1 + 2 + 4 + 8 + 8 + 7 (the rest of the window): never past 30 s, never a real wait.
    expect(clock.sleeps).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 7_000]);
    expect(clock.now).toBe(30_000);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('does not retry other errors', async () => {
    const { clock, retry } = fakeClock();
    dynamo
      .on(GetCommand)
      .rejects(
        Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }),
      );
    const provision = build(retry);
    try {
      await expect(provision(event('Create'))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    } finally {
      provision.destroy();
    }
    expect(clock.sleeps).toEqual([]);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(1);
  });
});
