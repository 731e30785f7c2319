import { afterEach, describe, expect, it, vi } from 'vitest';

describe('Module: lambdas/deliverer/handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('builds the handler from the environment once, at module load', async () => {
    vi.stubEnv('CONNECTOR_ID', 'prod-1');
    vi.stubEnv('STATE_TABLE_NAME', 'state');
    vi.stubEnv('DELIVERY_QUEUE_URL', 'https://sqs.us-east-1.amazonaws.com/1/d.fifo');
    vi.stubEnv('DELIVERY_DLQ_URL', 'https://sqs.us-east-1.amazonaws.com/1/d-dlq.fifo');
    vi.stubEnv('HEALTHLAKE_ROLE_ARN', 'arn:aws:iam::1:role/r');
    // A usable allow-list: the deliverer logs an error at load without one.
    vi.stubEnv(
      'HEALTHLAKE_ENDPOINT',
      'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/',
    );
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const { handler } = await import('../../../lambdas/deliverer/handler.js');
    expect(typeof handler).toBe('function');
  });

  it('fails the cold start naming a missing variable', async () => {
    vi.stubEnv('CONNECTOR_ID', 'prod-1');
    vi.stubEnv('STATE_TABLE_NAME', '');
    await expect(import('../../../lambdas/deliverer/handler.js')).rejects.toThrow(/STATE_TABLE_NAME/);
  });
});
