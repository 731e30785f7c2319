import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { delivererRoleName, reconcileRoleName } from '../../infra/stacks/HealthLakeConnectorStack.js';
import { buildTestApp, configProblemsOf, exampleConfigInput } from './connectorAppFixture.js';
import { identityStatements, resourcesOf } from './templateQueries.js';

const repoRoot = resolve(import.meta.dirname, '../..');
/** Each case synthesizes both stacks in the test itself; a loaded machine can take longer than 30 s. */
const SYNTHESIS_TIMEOUT_MS = 120_000;
const STORE = '0123456789abcdef0123456789abcdef';
const SOURCE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

/** A cross-account configuration with every ARN-bearing option on, in `region` of `partition`. */
const configIn = (partition: string, region: string) => {
  const example = exampleConfigInput();
  const endpoint = (id: string) => `https://healthlake.${region}.amazonaws.com/datastore/${id}/r4/`;
  return {
    region,
    healthLake: {
      endpoint: endpoint(STORE),
      access: {
        mode: 'crossAccount' as const,
        roleArn: `arn:${partition}:iam::222222222222:role/integrations/HealthLakeConnector`,
        externalId: 'an-external-id-long-enough',
      },
      datastoreKmsKeyArn: `arn:${partition}:kms:${region}:222222222222:key/11111111-2222-3333-4444-555555555555`,
    },
    sourceFhir: { baseUrl: endpoint(SOURCE), auth: 'sigv4' as const },
    reconcile: { enabled: true },
    // The created SQL cluster: proxy connect, rotation, secret and keys in the partition too.
    sqlTarget: {
      createCluster: {},
      vpc: {
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      },
    },
    ingest: {
      ...example.ingest,
      tokenSecret: { arn: `arn:${partition}:secretsmanager:${region}:111111111111:secret:tokens-AbCdEf` },
      waf: { rateLimit: 100, evaluationWindowSeconds: 60 as const },
      executionLogs: 'error' as const,
    },
  };
};

describe('Partitions', () => {
  it.each([
    ['aws-us-gov', 'us-gov-west-1'],
    ['aws-cn', 'cn-north-1'],
  ])(
    'builds every ARN of both stacks in %s (%s), none with arn:aws:',
    (partition, region) => {
      const { app, built, config } = buildTestApp(configIn(partition, region), { bundle: false });
      try {
        const customer = built.customerAccess;
        if (customer === undefined) throw new Error('cross-account');
        // Mappings aside: the secret rotation's SAR mapping lists the application of every partition.
        const { Mappings: _rotationApplications, ...connector } = Template.fromStack(
          built.connector,
        ).toJSON();
        const connectorJson = JSON.stringify(connector);
        const customerJson = JSON.stringify(Template.fromStack(customer).toJSON());
        for (const json of [connectorJson, customerJson]) {
          // (CDK's own constructs may use the AWS::Partition parameter, which resolves right anywhere.)
          expect(json.match(/.{80}arn:aws:.{40}/g) ?? []).toEqual([]);
        }
        // The data stores, the source, the trusted roles and the alarms' SourceArn, in that partition.
        expect(customerJson).toContain(
          `arn:${partition}:healthlake:${region}:222222222222:datastore/fhir/${STORE}`,
        );
        expect(customerJson).toContain(
          `arn:${partition}:iam::111111111111:role/${delivererRoleName(config)}`,
        );
        expect(customerJson).toContain(
          `arn:${partition}:iam::111111111111:role/${reconcileRoleName(config)}`,
        );
        expect(customerJson).toContain(`arn:${partition}:iam::111111111111:root`);
        expect(connectorJson).toContain(
          `arn:${partition}:healthlake:${region}:111111111111:datastore/fhir/${SOURCE}`,
        );
        expect(connectorJson).toContain(`arn:${partition}:cloudwatch:${region}:111111111111:alarm:*`);
        const assume = identityStatements(Template.fromStack(built.connector)).filter(
          ({ statement }) => statement.Sid === 'AssumeCustomerHealthLakeRole',
        );
        expect(assume.map(({ statement }) => statement.Resource)).toEqual([
          `arn:${partition}:iam::222222222222:role/integrations/HealthLakeConnector`,
          `arn:${partition}:iam::222222222222:role/integrations/HealthLakeConnector`,
        ]);
        const [role] = Object.values(resourcesOf(Template.fromStack(customer), 'AWS::IAM::Role'));
        expect(role?.Properties).toMatchObject({ RoleName: 'HealthLakeConnector', Path: '/integrations/' });
      } finally {
        rmSync(app.outdir, { recursive: true, force: true });
      }
    },
    SYNTHESIS_TIMEOUT_MS,
  );

  it('refuses ARNs of another partition than the region’s, one message per ARN', () => {
    const problems = configProblemsOf({ ...exampleConfigInput(), ...configIn('aws', 'us-gov-west-1') });
    const message =
      'must be an ARN of partition aws-us-gov (arn:aws-us-gov:...), the partition of region us-gov-west-1';
    expect(problems).toEqual([
      `healthLake.access.roleArn: ${message}`,
      `healthLake.datastoreKmsKeyArn: ${message}`,
      `ingest.tokenSecret.arn: ${message}`,
    ]);
  });

  it('leaves no hard-coded arn:aws: in the code of infra/ and shared/ (comments aside)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
      });
    const offending = ['infra', 'shared']
      .flatMap((dir) => files(join(repoRoot, dir)))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, index) => ({
            file: file.slice(repoRoot.length + 1),
            line: index + 1,
            text: line.trim(),
          }))
          .filter(({ text }) => text.includes('arn:aws:') && !/^(\/\/|\*|\/\*\*?)/.test(text)),
      );
    expect(offending).toEqual([]);
  });
});
