import { rmSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '../../infra/config/errors.js';
import { parseConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import type { ConnectorConfigInput } from '../../infra/config/schema.js';
import {
  LAMBDA_ENVIRONMENT_MAX_BYTES,
  REST_API_POLICY_MAX_CHARACTERS,
} from '../../infra/limits/deployLimitProblems.js';
import {
  lengthContextOf,
  longestForm,
  resolvedLength,
  UnboundedValueError,
} from '../../infra/limits/resolvedLength.js';
import { buildTestApp, exampleConfigInput, runCdkApp } from './connectorAppFixture.js';

/** These tests synthesize (or run the CDK app) in the test itself; a loaded machine can take longer than 30 s. */
const SYNTHESIS_TIMEOUT_MS = 120_000;

/** The problems building the app reports, or [] when it builds. */
const buildProblems = (overrides: Partial<ConnectorConfigInput>): readonly string[] => {
  let built: ReturnType<typeof buildTestApp> | undefined;
  try {
    built = buildTestApp(overrides, { bundle: false });
    return [];
  } catch (error) {
    if (error instanceof InvalidConfigurationError) return error.problems;
    throw error;
  } finally {
    if (built !== undefined) rmSync(built.app.outdir, { recursive: true, force: true });
  }
};

const endpoints = (count: number) =>
  Array.from(
    { length: count },
    (_, i) =>
      `https://healthlake.eu-west-2.amazonaws.com/datastore/${(i + 1).toString(16).padStart(32, '0')}/r4/`,
  );
/** The longest IPv6 ranges there are. */
const ipv6Ranges = (count: number) =>
  Array.from(
    { length: count },
    (_, i) => `2001:0db8:85a3:${i.toString(16).padStart(4, '0')}:0000:8a2e:0370:7334/128`,
  );

describe('Limits the schema and the synthesized stack catch before deploy', () => {
  it('refuses a largest retry delay below the first one', () => {
    const example = exampleConfigInput();
    expect(() =>
      parseConnectorConfig(
        { ...example, delivery: { retryBaseDelaySeconds: 60, retryMaxDelaySeconds: 30 } },
        'test',
      ),
    ).toThrow(/delivery\.retryMaxDelaySeconds: must be at least retryBaseDelaySeconds/);
    expect(
      parseConnectorConfig({ ...example, delivery: { retryBaseDelaySeconds: 30, retryMaxDelaySeconds: 30 } })
        .delivery.retryMaxDelaySeconds,
    ).toBe(30);
  });

  it(
    'refuses 35 additional data stores: they push function environments past Lambda’s 4 KB',
    () => {
      const example = exampleConfigInput();
      const problems = buildProblems({
        healthLake: { ...example.healthLake, additionalAllowedEndpoints: endpoints(35) },
      });
      expect(problems.length).toBeGreaterThan(0);
      for (const problem of problems) {
        expect(problem).toMatch(
          new RegExp(
            `^healthLake\\.additionalAllowedEndpoints: the environment of the \\S+ function would take up to \\d+ bytes, more than Lambda's ${LAMBDA_ENVIRONMENT_MAX_BYTES} \\(largest: ALLOWED_HEALTHLAKE_ENDPOINTS, \\d+ bytes\\); list fewer entries in healthLake\\.additionalAllowedEndpoints$`,
          ),
        );
      }
      expect(problems.some((problem) => problem.includes('Deliverer/Function function'))).toBe(true);
      // Ten fit: the limit is measured, not a guessed count.
      expect(
        buildProblems({ healthLake: { ...example.healthLake, additionalAllowedEndpoints: endpoints(10) } }),
      ).toEqual([]);
    },
    SYNTHESIS_TIMEOUT_MS,
  );

  it(
    'refuses 200 IPv6 ranges (the REST API policy would pass 8,192 characters) and accepts 200 IPv4 ones',
    () => {
      const example = exampleConfigInput();
      expect(buildProblems({ ingest: { ...example.ingest, allowedSourceCidrs: ipv6Ranges(200) } })).toEqual([
        expect.stringMatching(
          new RegExp(
            `^ingest\\.allowedSourceCidrs: the REST API resource policy would be up to \\d+ characters, more than API Gateway's ${REST_API_POLICY_MAX_CHARACTERS}; list fewer or wider ranges$`,
          ),
        ),
      ]);
      const ipv4 = Array.from({ length: 200 }, (_, i) => `10.${i}.0.0/16`);
      expect(buildProblems({ ingest: { ...example.ingest, allowedSourceCidrs: ipv4 } })).toEqual([]);
    },
    SYNTHESIS_TIMEOUT_MS,
  );

  it(
    'stops cdk synth with the problem listed and a non-zero exit',
    () => {
      const result = runCdkApp({
        configFile: 'connector.config.example.json',
        'aws:cdk:bundling-stacks': [],
        connector: { ingest: { allowedSourceCidrs: ipv6Ranges(200) } },
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('The connector configuration (as synthesized) has 1 problem');
      expect(result.stderr).toContain(
        'ingest.allowedSourceCidrs: the REST API resource policy would be up to',
      );
    },
    SYNTHESIS_TIMEOUT_MS,
  );
});

describe('resolvedLength: the longest value CloudFormation can substitute', () => {
  const stack = new Stack(new App(), 'Bounds', { env: { account: '111111111111', region: 'eu-west-2' } });
  const queue = new sqs.Queue(stack, 'Queue');
  const context = lengthContextOf(stack);
  const queueId = stack.resolve((queue.node.defaultChild as sqs.CfnQueue).logicalId) as string;

  it('bounds a queue URL by the longest URL suffix, a 12-digit account and an 80-character name', () => {
    const longest = `https://sqs.eu-west-2.amazonaws.com.cn/111111111111/${'q'.repeat(80)}`;
    expect(resolvedLength(context, { Ref: queueId })).toBe(longest.length);
    expect(resolvedLength(context, { 'Fn::GetAtt': [queueId, 'QueueName'] })).toBe(80);
    expect(
      resolvedLength(context, {
        'Fn::Join': ['/', ['prefix', { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Partition' }]],
      }),
    ).toBe('prefix'.length + 1 + 12 + 1 + 'aws-us-gov'.length);
  });

  it('replaces intrinsics inside a document by text of their longest length', () => {
    expect(longestForm(context, { a: ['x', { Ref: 'AWS::AccountId' }], b: 2 })).toEqual({
      a: ['x', 'x'.repeat(12)],
      b: 2,
    });
  });

  it('refuses to guess the length of anything else', () => {
    expect(() => resolvedLength(context, { Ref: 'Unknown' })).toThrow(UnboundedValueError);
    expect(() => resolvedLength(context, { 'Fn::GetAtt': [queueId, 'Nope'] })).toThrow(/no upper bound/i);
    expect(() => resolvedLength(context, { 'Fn::Sub': 'x' })).toThrow(UnboundedValueError);
  });
});
