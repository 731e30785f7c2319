import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '../../infra/config/errors.js';
import { loadConnectorConfig } from '../../infra/config/loadConnectorConfig.js';
import { parseConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import { exampleConfigInput } from './connectorAppFixture.js';

const repoRoot = resolve(import.meta.dirname, '../..');

const problemsOf = (raw: unknown): readonly string[] => {
  try {
    parseConnectorConfig(raw, 'test');
  } catch (error) {
    if (error instanceof InvalidConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
};

describe('Connector configuration', () => {
  it('accepts the committed example and derives the data store from the endpoint and role', () => {
    const config = parseConnectorConfig(exampleConfigInput());
    expect(config.dataStore).toEqual({
      endpoint: 'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/',
      region: 'us-east-1',
      datastoreId: '0123456789abcdef0123456789abcdef',
      arn: 'arn:aws:healthlake:us-east-1:222222222222:datastore/fhir/0123456789abcdef0123456789abcdef',
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
    expect(config.delivery).toEqual({ retryCount: 10, maxConcurrency: 5, batchSize: 10, timeoutSeconds: 60 });
    expect(config.logRetentionDays).toBe(365);
    expect(config.ingest.adminPrincipalArns).toEqual([]);
    expect(config.subscriptions).toEqual({ maxCount: 100 });
    expect(config.alarms.unmatchedWrites).toBe(1);
    expect(config.dataStore.endpoint.endsWith('/r4/')).toBe(true);
    expect(config.dataStore.arn).toContain(':111111111111:datastore/fhir/');
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
      ingest: { authMode: 'bearer', adminPrincipalArns: ['ops-team'] },
      alarms: { email: 'not-an-address', unmatchedWrites: 0 },
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
        expect.stringMatching(/^alarms\.unmatchedWrites: must be at least 1/),
        expect.stringMatching(/^subscriptions\.maxCount: must be at least 1/),
        expect.stringMatching(/^logRetentionDays: must be one of CloudWatch's retention values: 1, 3, 5/),
        'unknown option "unexpected" (check the spelling)',
      ]),
    );
    expect(problems).toHaveLength(17);
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
    const outdir = mkdtempSync(join(tmpdir(), 'hlc-synth-'));
    const result = spawnSync('npx', ['tsx', 'infra/app.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({
          configFile: 'connector.config.example.json',
          connector: { delivery: { batchSize: 0 }, logRetentionDays: 4, region: 'nowhere' },
        }),
      },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('has 3 problems');
    expect(result.stderr).toContain('delivery.batchSize: must be at least 1');
    expect(result.stderr).toContain('logRetentionDays: must be one of');
    expect(result.stderr).toContain('region: must be an AWS region');
  });
});
