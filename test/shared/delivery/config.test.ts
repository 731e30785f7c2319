import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../shared/config/env.js';
import { delivererConfigFromEnv } from '../../../shared/delivery/config.js';

const base = {
  CONNECTOR_ID: 'prod-1',
  STATE_TABLE_NAME: 'state',
  DELIVERY_QUEUE_URL: 'https://sqs/1/delivery.fifo',
  DELIVERY_DLQ_URL: 'https://sqs/1/delivery-dlq.fifo',
};

describe('Function: delivererConfigFromEnv', () => {
  it('reads the required settings and defaults the rest', () => {
    const config = delivererConfigFromEnv(base);
    expect(config).toMatchObject({
      connectorId: 'prod-1',
      stateTable: 'state',
      connectTimeoutMs: 10_000,
      responseTimeoutMs: 10_000,
      batch: {
        queueUrl: base.DELIVERY_QUEUE_URL,
        deadLetterQueueUrl: base.DELIVERY_DLQ_URL,
        defaultMaxAttempts: 5,
        backoff: { baseSeconds: 2, maxSeconds: 300, strategy: 'exponential' },
      },
    });
    expect(config.role).toBeUndefined();
    expect(config.batch.allowedEndpoints?.size).toBe(0);
  });

  it('reads the customer role, ExternalId, retry count and allow-list', () => {
    const config = delivererConfigFromEnv({
      ...base,
      HEALTHLAKE_ROLE_ARN: 'arn:aws:iam::1:role/r',
      HEALTHLAKE_EXTERNAL_ID: 'ext',
      DELIVERY_RETRY_COUNT: '0',
      ALLOWED_HEALTHLAKE_ENDPOINTS: 'https://a/r4/, https://b/r4/',
    });
    expect(config.role).toEqual({ roleArn: 'arn:aws:iam::1:role/r', externalId: 'ext' });
    expect(config.batch.defaultMaxAttempts).toBe(1);
    expect([...(config.batch.allowedEndpoints ?? [])]).toEqual(['https://a/r4/', 'https://b/r4/']);
  });

  it('reads the retry timing: base delay, maximum delay and strategy', () => {
    const config = delivererConfigFromEnv({
      ...base,
      DELIVERY_RETRY_BASE_SECONDS: '5',
      DELIVERY_RETRY_MAX_SECONDS: '60',
      DELIVERY_RETRY_STRATEGY: 'fixed',
    });
    expect(config.batch.backoff).toEqual({ baseSeconds: 5, maxSeconds: 60, strategy: 'fixed' });
    expect(() => delivererConfigFromEnv({ ...base, DELIVERY_RETRY_STRATEGY: 'linear' })).toThrow(
      /DELIVERY_RETRY_STRATEGY must be one of exponential, fixed/,
    );
  });

  it('names the missing variable', () => {
    expect(() => delivererConfigFromEnv({ ...base, DELIVERY_DLQ_URL: '' })).toThrow(ConfigurationError);
    expect(() => delivererConfigFromEnv({ ...base, DELIVERY_DLQ_URL: '' })).toThrow(/DELIVERY_DLQ_URL/);
  });
});
