import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConnectorConfig } from '../../infra/config/loadConnectorConfig.js';
import { parseConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import { Template } from 'aws-cdk-lib/assertions';
import { rmSync } from 'node:fs';
import type { ConnectorConfigInput } from '../../infra/config/schema.js';
import { buildTestApp, configProblemsOf, exampleConfigInput, runCdkApp } from './connectorAppFixture.js';

/** The problems of a configuration the schema must reject. */
const problemsOf = (raw: unknown): readonly string[] => {
  const problems = configProblemsOf(raw);
  if (problems.length === 0) throw new Error('expected the configuration to be rejected');
  return problems;
};

describe('Connector configuration', () => {
  it('accepts the committed example and derives the data store from the endpoint and role', () => {
    const config = parseConnectorConfig(exampleConfigInput());
    expect(config.dataStore).toEqual({
      endpoint: 'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/',
      region: 'us-east-1',
      datastoreId: '0123456789abcdef0123456789abcdef',
      account: '222222222222',
    });
    expect(config.dataStoreAccount).toBe('222222222222');
    expect(config.autoSubscriptionId).toBe('example-connector');
  });

  it('applies the documented defaults to a minimal same-account configuration', () => {
    const config = parseConnectorConfig({
      connectorId: 'minimal',
      account: '111111111111',
      region: 'eu-west-1',
      healthLake: {
        endpoint: 'https://healthlake.eu-west-1.amazonaws.com/datastore/ffffffffffffffffffffffffffffffff/r4',
        access: { mode: 'sameAccount' },
      },
      sourceFhir: { baseUrl: 'https://fhir.example.org/', auth: 'none' },
      ingest: { authMode: 'iam' },
    });
    expect(config.autoSubscription).toEqual({ enabled: true, criteria: '[*]' });
    expect(config.delivery).toEqual({
      // 20 retries by default: seed 003's Smile Subscription asks for 20 and gets them.
      retryCount: 20,
      maxConcurrency: 10,
      memorySizeMb: 512,
      batchSize: 10,
      timeoutSeconds: 60,
      retryBaseDelaySeconds: 2,
      retryMaxDelaySeconds: 300,
      retryStrategy: 'exponential',
      transforms: {},
      transformTimeoutSeconds: 5,
      paused: false,
    });
    expect(config.logRetentionDays).toBe(365);
    expect(config.ingest.adminPrincipalArns).toEqual([]);
    expect(config.subscriptions).toEqual({ maxCount: 100 });
    expect(config.alarms.unmatchedWrites).toBe(1);
    // Finite by default: a backfill never floods the system of record.
    expect(config.sourceFhir?.requestsPerSecond).toBe(10);
    expect(config.ingest).toMatchObject({
      maxJsonDepth: 100,
      maxClockSkewSeconds: 300,
      maxVersionJump: 1000,
    });
    expect(config.alarms.staleWritesPerResource).toBe(3);
    expect(config.dataStore.endpoint.endsWith('/r4/')).toBe(true);
    expect(config.dataStore.account).toBe('111111111111');
  });

  it('lists every problem of an invalid configuration at once, in plain words', () => {
    const problems = problemsOf({
      connectorId: '9-starts-with-a-digit',
      region: 'mars-1',
      healthLake: {
        endpoint: 'https://healthlake.us-east-1.amazonaws.com/datastore/not-hex/r4/',
        access: { mode: 'crossAccount', roleArn: 'role/x' },
      },
      delivery: { batchSize: 11, maxConcurrency: 1 },
      sourceFhir: { baseUrl: 'http://insecure.example.org', auth: 'basic' },
      ingest: { authMode: 'bearer', adminPrincipalArns: ['ops-team'], maxVersionJump: 0 },
      alarms: { email: 'not-an-address', unmatchedWrites: 0, staleWritesPerResource: 1001 },
      subscriptions: { maxCount: 0 },
      logRetentionDays: 2,
      unexpected: true,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^connectorId: must start with a letter/),
        'account: is required (12 digits)',
        expect.stringMatching(/^region: must be an AWS region/),
        expect.stringMatching(/^healthLake\.endpoint: must look like https:\/\/healthlake\./),
        expect.stringMatching(/^healthLake\.access\.roleArn: must be an IAM role ARN/),
        'healthLake.access.externalId: is required',
        expect.stringMatching(/^delivery\.batchSize: must be at most 10 \(FIFO batch size\)/),
        expect.stringMatching(/^delivery\.maxConcurrency: must be at least 2/),
        'sourceFhir.baseUrl: must be an https:// URL',
        expect.stringMatching(/^sourceFhir\.secret: auth "bearer", "basic" and "oauth2" need "secret"/),
        expect.stringMatching(/^ingest\.tokenSecret: authMode "bearer" needs "tokenSecret"/),
        expect.stringMatching(/^ingest\.adminPrincipalArns\.0: must be an IAM role or user ARN/),
        'alarms.email: must be an e-mail address',
        expect.stringMatching(/^ingest\.maxVersionJump: must be at least 1 \(versions\)/),
        expect.stringMatching(/^alarms\.unmatchedWrites: must be at least 1/),
        expect.stringMatching(/^alarms\.staleWritesPerResource: must be at most 1000/),
        expect.stringMatching(/^subscriptions\.maxCount: must be at least 1/),
        expect.stringMatching(/^logRetentionDays: must be one of CloudWatch's retention values: 1, 3, 5/),
        'unknown option "unexpected" (check the spelling)',
      ]),
    );
    expect(problems).toHaveLength(19);
  });

  it('keeps the STS session within the one-hour role-chaining limit', () => {
    const input = exampleConfigInput();
    const access = { ...(input.healthLake.access as object), sessionDurationSeconds: 7200 };
    expect(problemsOf({ ...input, healthLake: { ...input.healthLake, access } })).toEqual([
      'healthLake.access.sessionDurationSeconds: must be at most 3600 (STS session seconds; role chaining allows at most 3600)',
    ]);
  });

  it('rejects a secret reference that names both an ARN and a name', () => {
    const input = exampleConfigInput();
    const problems = problemsOf({
      ...input,
      ingest: {
        authMode: 'bearer',
        tokenSecret: { name: 'a', arn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:a-AbCdEf' },
      },
    });
    expect(problems).toEqual(['ingest.tokenSecret: give exactly one of "arn" or "name"']);
  });

  it('merges context "connector" over the config file, context winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hlc-config-'));
    writeFileSync(join(dir, 'my.json'), JSON.stringify(exampleConfigInput()));
    const context: Record<string, unknown> = {
      configFile: 'my.json',
      connector: JSON.stringify({ delivery: { maxConcurrency: 50 } }),
    };
    const { config, file, usedExample } = loadConnectorConfig((key) => context[key], dir);
    expect(file).toBe('my.json');
    expect(usedExample).toBe(false);
    expect(config.delivery.maxConcurrency).toBe(50);
    expect(config.delivery.batchSize).toBe(10);
  });

  it('says which file is missing when configFile names no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hlc-config-'));
    expect(() =>
      loadConnectorConfig((key) => (key === 'configFile' ? 'absent.json' : undefined), dir),
    ).toThrow(/absent\.json does not exist/);
  });

  it('fails the CDK app (cdk synth) with every problem listed and a non-zero exit', () => {
    const result = runCdkApp({
      configFile: 'connector.config.example.json',
      connector: { delivery: { batchSize: 0 }, logRetentionDays: 4, region: 'nowhere' },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('has 3 problems');
    expect(result.stderr).toContain('delivery.batchSize: must be at least 1');
    expect(result.stderr).toContain('logRetentionDays: must be one of');
    expect(result.stderr).toContain('region: must be an AWS region');
  });

  it('rejects every value CDK or AWS would refuse, one message per problem, all at once', () => {
    const example = exampleConfigInput();
    const problems = problemsOf({
      ...example,
      healthLake: {
        ...example.healthLake,
        datastoreKmsKeyArn: 'arn:aws:kms:eu-west-1:222222222222:key/11111111-2222-3333-4444-555555555555',
      },
      delivery: { retryCount: 1000, maxConcurrency: 1001, batchSize: 11, timeoutSeconds: 901 },
      backfill: { batchSize: 11, maxBatchingWindowSeconds: 0 },
      ingest: {
        ...example.ingest,
        throttlingBurstLimit: 5001,
        maxRequestBytes: 7_000_000,
        executionLogs: 'debug',
        waf: { rateLimit: 9, evaluationWindowSeconds: 30 },
        allowedSourceCidrs: ['10.0.0.0/33', '203.0.113.0/24', 'anywhere'],
      },
      alarms: { oldestMessageAgeSeconds: 30 },
      logLevel: 'verbose',
    } as unknown as ConnectorConfigInput);
    expect(problems).toEqual([
      expect.stringMatching(/^healthLake\.datastoreKmsKeyArn: must be a key in the data store's region/),
      expect.stringMatching(/^delivery\.retryCount: must be at most 999 \(retries, counted per message/),
      expect.stringMatching(/^delivery\.maxConcurrency: must be at most 1000/),
      expect.stringMatching(/^delivery\.batchSize: must be at most 10/),
      expect.stringMatching(/^delivery\.timeoutSeconds: must be at most 900/),
      expect.stringMatching(
        /^backfill\.batchSize: more than 10 needs "maxBatchingWindowSeconds" of at least 1/,
      ),
      expect.stringMatching(/^ingest\.maxRequestBytes: must be at most 6000000/),
      expect.stringMatching(/^ingest\.throttlingBurstLimit: must be at most 5000/),
      'ingest.executionLogs: must be "off", "error" or "info"',
      expect.stringMatching(/^ingest\.waf\.rateLimit: must be at least 10/),
      'ingest.waf.evaluationWindowSeconds: must be one of 60, 120, 300, 600 (WAF evaluation windows)',
      'ingest.allowedSourceCidrs.0: must be an IPv4 or IPv6 range in CIDR notation',
      'ingest.allowedSourceCidrs.2: must be an IPv4 or IPv6 range in CIDR notation',
      expect.stringMatching(/^alarms\.oldestMessageAgeSeconds: must be at least 60/),
      'logLevel: must be one of debug, info, warn, error',
    ]);
  });

  it('rejects a connector id and region that would make the deliverer role name longer than IAM allows', () => {
    const problems = problemsOf({
      ...exampleConfigInput(),
      connectorId: 'a'.repeat(32),
      region: 'us-northwesternmost-1',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^connectorId: with this region, at most .* \(it names the deliverer IAM role\)/),
    ]);
  });
});

describe('Connector configuration at its limits', () => {
  const extremes: Record<string, Partial<ConnectorConfigInput>> = {
    largest: {
      connectorId: `a${'b'.repeat(31)}`,
      delivery: { retryCount: 999, maxConcurrency: 1000, batchSize: 10, timeoutSeconds: 900 },
      backfill: { batchSize: 100, maxBatchingWindowSeconds: 300, maxConcurrency: 1000, retryCount: 1000 },
      ingest: {
        ...exampleConfigInput().ingest,
        throttlingRateLimit: 10_000,
        throttlingBurstLimit: 5_000,
        maxRequestBytes: 6_000_000,
        executionLogs: 'info',
        apiGatewayAccountRole: true,
        waf: { rateLimit: 2_000_000_000, evaluationWindowSeconds: 600 },
        allowedSourceCidrs: Array.from({ length: 200 }, (_, i) => `10.${i}.0.0/16`),
      },
      alarms: {
        oldestMessageAgeSeconds: 1_209_600,
        delivererErrors: 100_000,
        ingest5xxRatePercent: 100,
        notSupportedDropRatePercent: 100,
      },
      logRetentionDays: 3653,
      logLevel: 'error',
    },
    smallest: {
      delivery: { retryCount: 1, maxConcurrency: 2, batchSize: 1, timeoutSeconds: 10 },
      backfill: { batchSize: 1, maxBatchingWindowSeconds: 0, maxConcurrency: 2, retryCount: 1 },
      ingest: {
        ...exampleConfigInput().ingest,
        throttlingRateLimit: 1,
        throttlingBurstLimit: 1,
        maxRequestBytes: 1024,
        waf: { rateLimit: 10, evaluationWindowSeconds: 60 },
        allowedSourceCidrs: ['203.0.113.7/32'],
      },
      alarms: {
        oldestMessageAgeSeconds: 60,
        delivererErrors: 1,
        ingest5xxRatePercent: 0.01,
        notSupportedDropRatePercent: 0.01,
      },
      logRetentionDays: 1,
    },
  };

  it.each(Object.keys(extremes))(
    'synthesizes the %s accepted values without a CDK error',
    (name) => {
      const { app, built } = buildTestApp(extremes[name], { bundle: false });
      try {
        expect(() => app.synth()).not.toThrow();
        expect(Template.fromStack(built.connector).toJSON()).toHaveProperty('Resources');
      } finally {
        rmSync(app.outdir, { recursive: true, force: true });
      }
    },
    // Synthesizes in the test itself: a loaded machine can take longer than 30 s.
    120_000,
  );
});
