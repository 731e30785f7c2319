import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { api, waitFor } from './e2eHelpers.js';

/** 1.9 MB of attachment data: past Medplum's 1 MiB base64Binary default and SQS's 1 MiB message. */
const ATTACHMENT_BYTES = 1_900_000;

describe('Local mode end to end: a DocumentReference with a 1.9 MB attachment', () => {
  let connector: LocalConnector;
  beforeAll(async () => {
    connector = await startConnector({ apiPort: 0, logLevel: 'warn', progress: 'off' });
  });
  afterAll(async () => {
    await connector?.stop();
  });

  it('is accepted and reaches the HealthLake stand-in intact through the S3 claim check', async () => {
    const data = randomBytes(ATTACHMENT_BYTES).toString('base64');
    const document = {
      resourceType: 'DocumentReference',
      id: 'large-scan-1',
      status: 'current',
      content: [{ attachment: { contentType: 'application/pdf', data, title: 'scan' } }],
    };
    const response = await api(connector, 'PUT', 'DocumentReference/large-scan-1', document);
    expect(response.status).toBe(200);
    const healthlake = connector.healthlake;
    if (!healthlake) throw new Error('no HealthLake stand-in');
    const stored = await waitFor(() => healthlake.current('DocumentReference', 'large-scan-1'), {
      timeoutMs: 60_000,
      message: 'the DocumentReference in the HealthLake stand-in',
    });
    const attachment = (stored as { content: { attachment: { data: string } }[] }).content[0]?.attachment;
    // Compared without printing: a mismatch must not dump 2.5 MB of base64 into the test output.
    expect(attachment?.data.length).toBe(data.length);
    expect(attachment?.data === data).toBe(true);
    expect(connector.stats.deadLettered).toBe(0);
  });
});
