import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { handler as provisionerHandler } from '../../../lambdas/subscription-provisioner/handler.js';
import { ENV } from '../../../shared/config/constants.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const ENDPOINT = 'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/';

let handler: typeof provisionerHandler;

beforeAll(async () => {
  process.env[ENV.stateTable] = 'state-table';
  // The handler reads its environment at module load.
  ({ handler } = await import('../../../lambdas/subscription-provisioner/handler.js'));
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
