import { delivererConfigFromEnv } from '../../shared/runtime/delivererConfig.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillWorkerHandlerFromEnv } from '../../lambdas/backfill-worker/backfillWorkerHandlerFromEnv.js';
import { reconcileWorkerHandlerFromEnv } from '../../lambdas/reconcile-worker/reconcileWorkerHandlerFromEnv.js';
import { delivererHandlerFromEnv } from '../../lambdas/deliverer/delivererHandlerFromEnv.js';
import { ingestHandlerFromEnv } from '../../lambdas/ingest/ingestHandlerFromEnv.js';
import { subscriptionProvisionerHandlerFromEnv } from '../../lambdas/subscription-provisioner/subscriptionProvisionerHandlerFromEnv.js';
import {
  DEFAULT_LOCAL_CONFIG,
  LocalConfigError,
  loadLocalConfig,
  type LocalConfig,
} from '../../local/config.js';
import { localFunctionEnvironments } from '../../local/functionEnvironments.js';
import { createSourceReaderFromEnv } from '../../shared/runtime/createSourceReaderFromEnv.js';
import { json, startFakeHttpServer, type FakeHttpServer } from '../shared/fhirClient/fakeHttpServer.js';
import { hashToken } from '../../shared/ingest/auth/hashToken.js';

const resources = {
  deliveryQueueUrl: 'http://127.0.0.1:1/000000000000/hlc-local-delivery.fifo',
  deliveryQueueArn: 'arn:aws:sqs:us-east-1:000000000000:hlc-local-delivery.fifo',
  deliveryDlqUrl: 'http://127.0.0.1:1/000000000000/hlc-local-delivery-dlq.fifo',
  deliveryDlqArn: 'arn:aws:sqs:us-east-1:000000000000:hlc-local-delivery-dlq.fifo',
  backfillQueueUrl: 'http://127.0.0.1:1/000000000000/hlc-local-backfill',
  backfillDlqUrl: 'http://127.0.0.1:1/000000000000/hlc-local-backfill-dlq',
  reconcileQueueUrl: 'http://127.0.0.1:1/000000000000/hlc-local-reconcile',
  reconcileDlqUrl: 'http://127.0.0.1:1/000000000000/hlc-local-reconcile-dlq',
  sqlQueueUrl: 'http://127.0.0.1:1/000000000000/hlc-local-sql.fifo',
  sqlQueueArn: 'arn:aws:sqs:us-east-1:000000000000:hlc-local-sql.fifo',
  sqlDlqUrl: 'http://127.0.0.1:1/000000000000/hlc-local-sql-dlq.fifo',
  payloadBucket: 'hlc-local-payloads',
  stateTable: 'hlc-local-state',
  ttlEnabled: false,
};

const environmentsFor = (config: LocalConfig, sourceFhirBaseUrl = 'http://127.0.0.1:9/fhir/') =>
  localFunctionEnvironments({
    config,
    resources,
    endpoints: { sqs: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2' },
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    healthLakeEndpoint: 'http://127.0.0.1:3/datastore/local/r4/',
    sourceFhirBaseUrl,
    tokens: [{ sha256: hashToken('development-token'), scope: 'admin' }],
  });

describe('Local mode: function environments', () => {
  let source: FakeHttpServer;

  beforeAll(async () => {
    source = await startFakeHttpServer((_request, _body, response) =>
      json(response, 200, { resourceType: 'Bundle', type: 'searchset', entry: [] }),
    );
  });

  afterAll(async () => {
    await source?.stop();
  });

  it('builds every function with its Lambda factory from the environments local mode writes', () => {
    const environments = environmentsFor(DEFAULT_LOCAL_CONFIG);
    for (const handler of [
      ingestHandlerFromEnv(environments.ingest),
      delivererHandlerFromEnv(environments.deliverer),
      backfillWorkerHandlerFromEnv(environments.backfillWorker),
      reconcileWorkerHandlerFromEnv(environments.reconcileWorker),
      subscriptionProvisionerHandlerFromEnv(environments.subscriptionProvisioner),
    ]) {
      expect(typeof handler).toBe('function');
      handler.destroy();
    }
    expect(environments.deliverer).toMatchObject({
      DELIVERY_RETRY_BASE_SECONDS: '1',
      DELIVERY_RETRY_MAX_SECONDS: '20',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1',
      AWS_REGION: 'us-east-1',
    });
    expect(environments.ingest).toMatchObject({
      HEALTHLAKE_ENDPOINT: 'http://127.0.0.1:3/datastore/local/r4/',
      DELIVERY_RETRY_COUNT: String(DEFAULT_LOCAL_CONFIG.deliveryRetryCount),
      RECONCILE_QUEUE_URL: resources.reconcileQueueUrl,
    });
    expect(environments.reconcileWorker).toMatchObject({
      RECONCILE_QUEUE_URL: resources.reconcileQueueUrl,
      SOURCE_FHIR_BASE_URL: 'http://127.0.0.1:9/fhir/',
    });
  });

  it('passes the reconcile rates and page size given to local mode to the worker', () => {
    const environments = localFunctionEnvironments({
      config: DEFAULT_LOCAL_CONFIG,
      resources,
      endpoints: {},
      healthLakeEndpoint: 'http://127.0.0.1:3/datastore/local/r4/',
      sourceFhirBaseUrl: 'http://127.0.0.1:9/fhir/',
      tokens: [],
      reconcileTuning: { sourceRequestsPerSecond: '0', pageSize: '50' },
    });
    expect(environments.reconcileWorker).toMatchObject({
      RECONCILE_SOURCE_REQUESTS_PER_SECOND: '0',
      RECONCILE_PAGE_SIZE: '50',
    });
    expect(environments.reconcileWorker).not.toHaveProperty('RECONCILE_HEALTHLAKE_REQUESTS_PER_SECOND');
  });

  it('writes --additional-healthlake-endpoint into every allow-list after the primary, as the stack does', () => {
    const environments = localFunctionEnvironments({
      config: loadLocalConfig([], {}),
      resources,
      endpoints: { sqs: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2' },
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
      healthLakeEndpoint: 'http://127.0.0.1:3/datastore/local/r4/',
      additionalEndpoints: [
        'http://127.0.0.1:3/datastore/second/r4/',
        'https://healthlake.eu-west-2.amazonaws.com/datastore/third/r4/',
      ],
      sourceFhirBaseUrl: 'http://127.0.0.1:9/fhir/',
      tokens: [{ sha256: hashToken('development-token'), scope: 'admin' }],
    });
    const expected =
      'http://127.0.0.1:3/datastore/local/r4/,http://127.0.0.1:3/datastore/second/r4/,https://healthlake.eu-west-2.amazonaws.com/datastore/third/r4/';
    expect(environments.deliverer.ALLOWED_HEALTHLAKE_ENDPOINTS).toBe(expected);
    expect(environments.ingest.ALLOWED_HEALTHLAKE_ENDPOINTS).toBe(expected);
    const config = delivererConfigFromEnv(environments.deliverer);
    expect([...config.batch.allowedEndpoints]).toHaveLength(3);
  });

  it('feeds the retry timing flags to the deliverer as the stack writes its config', () => {
    const argv = ['--delivery-retry-strategy', 'fixed', '--delivery-retry-base-seconds', '3'];
    const environments = environmentsFor(loadLocalConfig([...argv, '--delivery-retry-max-seconds', '9'], {}));
    expect(environments.deliverer).toMatchObject({
      DELIVERY_RETRY_STRATEGY: 'fixed',
      DELIVERY_RETRY_BASE_SECONDS: '3',
      DELIVERY_RETRY_MAX_SECONDS: '9',
    });
    const handler = delivererHandlerFromEnv(environments.deliverer);
    handler.destroy();
  });

  it.each([
    [
      'basic',
      ['--source-auth', 'basic', '--source-username', 'reader', '--source-password', 'pw'],
      'Basic cmVhZGVyOnB3',
    ],
    ['bearer', ['--source-auth', 'bearer', '--source-token', 'source-token'], 'Bearer source-token'],
  ])(
    'authenticates the backfill source with %s credentials through the deployed worker code',
    async (_kind, argv, expected) => {
      const environments = environmentsFor(loadLocalConfig(argv, {}), `${source.url}/fhir/`);
      const reader = await createSourceReaderFromEnv(
        { getSecret: () => Promise.reject(new Error('local mode reads no secret store')) },
        environments.backfillWorker,
      );
      await reader.searchPage(reader.resolveSearchUrl('Patient'));
      expect(source.requests.at(-1)?.headers.authorization).toBe(expected);
    },
  );

  it('refuses source authentication without its credentials', () => {
    const config = loadLocalConfig(['--source-auth', 'bearer'], {});
    expect(() => environmentsFor(config)).toThrow(LocalConfigError);
    expect(() => environmentsFor(config)).toThrow(/--source-token/);
  });
});
