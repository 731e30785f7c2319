import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { awsClientConfig, startAwsStandins, type AwsStandins } from '../../local/standins/aws.js';
import { startHealthLakeStandin, type FhirStandin } from '../../local/standins/healthlake/index.js';
import { api, waitFor } from './e2eHelpers.js';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/independent-healthlake-writer';
const EXTERNAL_ID = 'independent-external-id-7f3a';

/**
 * Local mode pointed, by configuration only, at services it did not start: a separately started
 * HealthLake-compatible endpoint with its own STS (which accepts only AssumeRole'd credentials for
 * its role and ExternalId), and separately started SQS/S3/DynamoDB endpoints. This is the path a
 * user takes to run local mode against real AWS resources.
 */
describe('Local mode against independent endpoints', () => {
  let aws: AwsStandins;
  let healthlake: FhirStandin;
  let connector: LocalConnector;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    aws = await startAwsStandins();
    healthlake = await startHealthLakeStandin({
      roleArn: ROLE_ARN,
      externalId: EXTERNAL_ID,
      // Like HealthLake behind a customer role: only the role's temporary credentials may write.
      acceptBaseCredentials: false,
    });
    // The connector's own identity, as the SDK's default chain would find it on a workstation.
    const base = healthlake.baseCredentials;
    process.env.AWS_ACCESS_KEY_ID = base.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = base.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'warn',
      progress: 'off',
      resourcePrefix: 'independent',
      healthLakeEndpoint: healthlake.endpoint,
      stsEndpoint: healthlake.stsEndpoint,
      roleArn: ROLE_ARN,
      externalId: EXTERNAL_ID,
      sqsEndpoint: aws.sqsEndpoint,
      s3Endpoint: aws.s3Endpoint,
      dynamoEndpoint: aws.dynamoEndpoint,
    });
  });

  afterAll(async () => {
    await connector?.stop();
    await healthlake?.stop();
    await aws?.stop();
    process.env = savedEnv;
  });

  it('starts no embedded HealthLake stand-in and creates its queues on the given SQS endpoint', async () => {
    expect(connector.healthlake).toBeUndefined();
    const sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
    try {
      const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'independent' }));
      expect(QueueUrls.some((url) => url.endsWith('independent-delivery.fifo'))).toBe(true);
    } finally {
      sqs.destroy();
    }
  });

  it('delivers to the independent endpoint with credentials from AssumeRole with the ExternalId', async () => {
    const put = await api(connector, 'PUT', 'Patient/independent-1', {
      resourceType: 'Patient',
      id: 'independent-1',
      active: true,
    });
    expect(put.status).toBe(200);
    await waitFor(() => healthlake.current('Patient', 'independent-1') !== undefined, {
      message: 'Patient/independent-1 in the independent HealthLake endpoint',
    });
    expect(healthlake.sts.assumeRoleCount).toBeGreaterThanOrEqual(1);
    const writes = healthlake.requests.filter((request) => request.method === 'PUT');
    expect(writes.length).toBeGreaterThan(0);
    // Every write was signed with issued temporary credentials, none with the connector's own keys.
    for (const write of writes) {
      expect(write.status).toBeLessThan(300);
      expect(write.accessKeyId).toMatch(/^ASIA/);
    }
  });
});
