import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cachedSecretReader } from '../../../shared/fhirClient/cachedSecretReader.js';

const secrets = mockClient(SecretsManagerClient);

describe('Function: cachedSecretReader', () => {
  afterEach(() => {
    secrets.reset();
    vi.useRealTimers();
  });

  it('holds the latest value of each configured secret, read again after five minutes', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    let reads = 0;
    secrets.on(GetSecretValueCommand).callsFake(async () => ({ SecretString: `value-${++reads}` }));
    const getSecret = cachedSecretReader(new SecretsManagerClient({ region: 'us-east-1' }));
    // A day of a worker instance reading its one source secret for every page.
    for (let minute = 0; minute < 24 * 60; minute += 1) {
      await getSecret('source-fhir-client-secret');
      vi.advanceTimersByTime(60_000);
    }
    // Past five minutes (strictly), the next use reads it again: every sixth minute here.
    expect(reads).toBe((24 * 60) / 6);
    expect(await getSecret('source-fhir-client-secret')).toBe(`value-${reads}`);
    const ids = secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId);
    expect(new Set(ids)).toEqual(new Set(['source-fhir-client-secret']));
  });

  it('refuses a secret that is not a string', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });
    const getSecret = cachedSecretReader(new SecretsManagerClient({ region: 'us-east-1' }));
    await expect(getSecret('binary')).rejects.toThrow('not a string');
  });
});
