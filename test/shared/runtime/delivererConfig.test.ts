import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../shared/config/env.js';
import { delivererConfigFromEnv } from '../../../shared/runtime/delivererConfig.js';
import { parseAllowedEndpoints } from '../../../shared/subscriptions/endpoints.js';

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
        defaultMaxAttempts: 21,
        backoff: { baseSeconds: 2, maxSeconds: 300, strategy: 'exponential' },
        timeLimit: {
          connectTimeoutMs: 10_000,
          responseTimeoutMs: 10_000,
          settleReserveMs: 3000,
          deferDelaySeconds: 1,
        },
      },
    });
    expect(config.role).toBeUndefined();
    expect(config.batch.allowedEndpoints.size).toBe(0);
    expect(config.batch.allowListProblem).toMatch(/are empty: nothing is delivered/);
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
    expect([...config.batch.allowedEndpoints]).toEqual(['https://a/r4/', 'https://b/r4/']);
  });

  it('parses the allow-list as ingest does: normalised, with HEALTHLAKE_ENDPOINT included', () => {
    const config = delivererConfigFromEnv({
      ...base,
      ALLOWED_HEALTHLAKE_ENDPOINTS: 'HTTPS://HealthLake.us-east-1.amazonaws.com/datastore/a/r4',
      HEALTHLAKE_ENDPOINT: 'https://healthlake.us-east-1.amazonaws.com/datastore/b/r4/',
    });
    expect([...config.batch.allowedEndpoints]).toEqual(
      parseAllowedEndpoints([
        'https://healthlake.us-east-1.amazonaws.com/datastore/a/r4',
        'https://healthlake.us-east-1.amazonaws.com/datastore/b/r4/',
      ]),
    );
    expect(config.batch.allowListProblem).toBeUndefined();
  });

  it('fails closed on an unparsable allow-list, saying why without quoting it', () => {
    const config = delivererConfigFromEnv({
      ...base,
      ALLOWED_HEALTHLAKE_ENDPOINTS: 'https://user:secret@a/r4/',
    });
    expect(config.batch.allowedEndpoints.size).toBe(0);
    expect(config.batch.allowListProblem).toMatch(/ALLOWED_HEALTHLAKE_ENDPOINTS is unparsable/);
    expect(config.batch.allowListProblem).not.toContain('secret');
  });

  it('reads the STS session length within the one-hour role-chaining limit', () => {
    expect(delivererConfigFromEnv(base).sessionDurationSeconds).toBe(3600);
    expect(
      delivererConfigFromEnv({ ...base, HEALTHLAKE_SESSION_DURATION_SECONDS: '900' }).sessionDurationSeconds,
    ).toBe(900);
    expect(() => delivererConfigFromEnv({ ...base, HEALTHLAKE_SESSION_DURATION_SECONDS: '7200' })).toThrow(
      /HEALTHLAKE_SESSION_DURATION_SECONDS/,
    );
  });

  it('reads the time limit and access-denied backoff tuning from its contract', () => {
    const config = delivererConfigFromEnv({
      ...base,
      DELIVERY_SETTLE_RESERVE_MS: '5000',
      DELIVERY_DEFER_DELAY_SECONDS: '3',
      DELIVERY_ACCESS_DENIED_BASE_SECONDS: '30',
      DELIVERY_ACCESS_DENIED_MAX_SECONDS: '600',
      HEALTHLAKE_RESPONSE_TIMEOUT_MS: '20000',
    });
    expect(config.batch.timeLimit).toEqual({
      connectTimeoutMs: 10_000,
      responseTimeoutMs: 20_000,
      settleReserveMs: 5000,
      deferDelaySeconds: 3,
    });
    expect(config.batch.accessDeniedBackoff).toEqual({ baseSeconds: 30, maxSeconds: 600 });
    expect(() =>
      delivererConfigFromEnv({ ...base, DELIVERY_SETTLE_RESERVE_MS: '1', DELIVERY_DEFER_DELAY_SECONDS: 'x' }),
    ).toThrow(/DELIVERY_SETTLE_RESERVE_MS.*DELIVERY_DEFER_DELAY_SECONDS/);
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

  it('names the missing variable and the function whose environment it is', () => {
    expect(() => delivererConfigFromEnv({ ...base, DELIVERY_DLQ_URL: '' })).toThrow(ConfigurationError);
    expect(() => delivererConfigFromEnv({ ...base, DELIVERY_DLQ_URL: '' })).toThrow(
      /^Invalid deliverer environment \(1 problem\): DELIVERY_DLQ_URL/,
    );
  });

  it('assumes the customer role without an ExternalId when none is set', () => {
    const config = delivererConfigFromEnv({ ...base, HEALTHLAKE_ROLE_ARN: 'arn:aws:iam::1:role/r' });
    expect(config.role).toEqual({ roleArn: 'arn:aws:iam::1:role/r' });
  });

  it("reads the data store's region when it differs from the function's", () => {
    expect(delivererConfigFromEnv({ ...base, HEALTHLAKE_REGION: 'eu-west-2' }).region).toBe('eu-west-2');
    expect(delivererConfigFromEnv(base)).not.toHaveProperty('region');
  });
});
