import { describe, expect, it } from 'vitest';
import { delivererConfigOf } from '../../../shared/runtime/delivererConfig.js';
import { ConfigurationError } from '../../../shared/config/env.js';
import { awsClientConfig } from '../../../shared/config/awsEnv.js';
import { envEntries, readEnv } from '../../../shared/config/envVar.js';
import { DELIVERER_CONTRACT } from '../../../shared/runtime/delivererContract.js';

describe('Function: readEnv', () => {
  it('lists every problem at once, naming each variable and never quoting its value', () => {
    const read = () =>
      readEnv(
        DELIVERER_CONTRACT,
        { CONNECTOR_ID: 'c', DELIVERY_RETRY_COUNT: 'many', HEALTHLAKE_MAX_SOCKETS: '0' },
        'deliverer',
      );
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(/5 problems/);
    expect(read).toThrow(/STATE_TABLE_NAME is required/);
    expect(read).toThrow(/DELIVERY_QUEUE_URL is required/);
    expect(read).toThrow(/DELIVERY_DLQ_URL is required/);
    expect(read).toThrow(/DELIVERY_RETRY_COUNT must be an integer in \[0, 999\]/);
    expect(read).toThrow(/HEALTHLAKE_MAX_SOCKETS must be an integer/);
    expect(read).not.toThrow(/many/);
  });

  it('types the values and fills in the defaults', () => {
    const values = readEnv(
      DELIVERER_CONTRACT,
      {
        ...envEntries(DELIVERER_CONTRACT, {
          connectorId: 'c',
          stateTable: 't',
          deliveryQueueUrl: 'q',
          deliveryDlqUrl: 'd',
          allowedEndpoints: 'https://a.test/r4',
        }),
      },
      'deliverer',
    );
    expect(values).toMatchObject({ deliveryRetryCount: 20, retryBaseSeconds: 2, maxSockets: 50 });
    // Kept as text: the deliverer parses it itself and fails closed (shared/runtime/delivererConfig.ts).
    expect(values.allowedEndpoints).toBe('https://a.test/r4');
    expect(delivererConfigOf(values).batch.allowedEndpoints).toEqual(new Set(['https://a.test/r4/']));
  });
});

describe('Function: awsClientConfig', () => {
  it('takes region, endpoint and credentials from the values it is given, not from process.env', () => {
    expect(
      awsClientConfig(
        {
          awsRegion: 'eu-west-1',
          awsAccessKeyId: 'AKID',
          awsSecretAccessKey: 's',
          awsSessionToken: undefined,
        },
        'http://127.0.0.1:4566',
      ),
    ).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4566',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 's' },
    });
    expect(
      awsClientConfig(
        {
          awsRegion: undefined,
          awsAccessKeyId: undefined,
          awsSecretAccessKey: undefined,
          awsSessionToken: undefined,
        },
        undefined,
      ),
    ).toEqual({});
  });
});
