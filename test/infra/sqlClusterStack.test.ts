import { Template } from 'aws-cdk-lib/assertions';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlClusterIdentifier } from '../../infra/config/connectorNames.js';
import { parseConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import type { ConnectorConfigInput } from '../../infra/config/schema.js';
import { SQL_CLUSTER_PORT, SQL_PROXY_PORT } from '../../infra/constructs/SqlCluster.js';
import { LAMBDA_RDS_CA_BUNDLE } from '../../infra/constructs/SqlWriter.js';
import { SQL_WRITER_ENV, SQL_WRITER_SERVICE } from '../../shared/sqlWriter/constants.js';
import { buildTestApp, configProblemsOf, exampleConfigInput } from './connectorAppFixture.js';
import {
  actionsOf,
  identityStatements,
  logicalIdStartingWith,
  resourcesOf,
  unacknowledgedNagFindings,
  type CfnResourceJson,
} from './templateQueries.js';

const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'];
const EXTRA_GROUP = 'sg-0123456789abcdef0';
type SqlTargetInput = NonNullable<ConnectorConfigInput['sqlTarget']>;
const clusterTarget: SqlTargetInput = {
  createCluster: { minCapacityAcu: 1, maxCapacityAcu: 8 },
  vpc: { vpcId: 'vpc-0123456789abcdef0', subnetIds: SUBNETS, securityGroupIds: [EXTRA_GROUP] },
  applySchema: true,
};

const problems = (sqlTarget: unknown): readonly string[] =>
  configProblemsOf({ ...exampleConfigInput(), sqlTarget });

const ref = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'GroupId'] });

let template: Template;
let built: ReturnType<typeof buildTestApp>['built'];
let outdir: string;

beforeAll(() => {
  const app = buildTestApp({ sqlTarget: clusterTarget }, { bundle: false });
  built = app.built;
  outdir = app.app.outdir;
  template = Template.fromStack(built.connector);
}, 240_000);

afterAll(() => {
  if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
});

describe('sqlTarget.createCluster configuration', () => {
  const vpc = { vpcId: 'vpc-0123456789abcdef0', subnetIds: SUBNETS };

  it('fills the defaults: 0.5-4 ACU, database fhir, user hlc_admin, deletion protection, snapshot, IAM auth', () => {
    const config = parseConnectorConfig({ ...exampleConfigInput(), sqlTarget: { createCluster: {}, vpc } });
    expect(config.sqlTarget?.auth).toBe('iam');
    expect(config.sqlTarget?.createCluster).toEqual({
      databaseName: 'fhir',
      adminUser: 'hlc_admin',
      minCapacityAcu: 0.5,
      maxCapacityAcu: 4,
      backupRetentionDays: 7,
      deletionProtection: true,
      removalPolicy: 'snapshot',
    });
  });

  it('asks for exactly one of url and createCluster, naming the key', () => {
    expect(problems({ vpc })).toEqual([
      expect.stringMatching(/^sqlTarget\.url: is required: give "url" .* or "createCluster"/),
    ]);
    expect(problems({ url: 'postgres://w@db.example.org:5432/fhir', createCluster: {}, vpc })).toEqual([
      expect.stringMatching(/^sqlTarget\.createCluster: cannot be used with "url"/),
    ]);
  });

  it('refuses the options of an existing database beside createCluster, one message each', () => {
    const found = problems({
      createCluster: {},
      vpc,
      auth: 'secret',
      secret: { arn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbCdEf' },
      iamResourceId: 'cluster-ABC',
      prepareStatements: true,
    });
    expect(found).toEqual([
      expect.stringMatching(/^sqlTarget\.auth: is not used with "createCluster"/),
      expect.stringMatching(/^sqlTarget\.secret: is not used with "createCluster"/),
      expect.stringMatching(/^sqlTarget\.iamResourceId: is not used with "createCluster"/),
      expect.stringMatching(/^sqlTarget\.prepareStatements: must be false with "createCluster"/),
    ]);
  });

  it('checks capacities (range, steps of 0.5, min not above max) and the two subnets Aurora needs', () => {
    expect(problems({ createCluster: { minCapacityAcu: 0, maxCapacityAcu: 300 }, vpc })).toEqual([
      expect.stringMatching(/^sqlTarget\.createCluster\.minCapacityAcu: must be at least 0\.5 ACU/),
      expect.stringMatching(/^sqlTarget\.createCluster\.maxCapacityAcu: must be at most 256 ACU/),
    ]);
    expect(problems({ createCluster: { minCapacityAcu: 1.25 }, vpc })).toEqual([
      expect.stringMatching(/^sqlTarget\.createCluster\.minCapacityAcu: must be a multiple of 0\.5 ACU/),
    ]);
    expect(problems({ createCluster: { minCapacityAcu: 8, maxCapacityAcu: 2 }, vpc })).toEqual([
      'sqlTarget.createCluster.minCapacityAcu: must not be more than createCluster.maxCapacityAcu',
    ]);
    expect(problems({ createCluster: {}, vpc: { ...vpc, subnetIds: ['subnet-0123456789abcdef0'] } })).toEqual(
      [expect.stringMatching(/^sqlTarget\.vpc\.subnetIds: must list at least two subnets/)],
    );
    expect(problems({ createCluster: { adminUser: 'postgres' }, vpc })).toEqual([
      expect.stringMatching(
        /^sqlTarget\.createCluster\.adminUser: must not be a name PostgreSQL or RDS reserves/,
      ),
    ]);
  });

  it('still asks an existing database for its security groups', () => {
    expect(
      problems({
        url: 'postgres://w@db.example.org:5432/fhir',
        secret: { name: 'db' },
        vpc,
      }),
    ).toEqual([expect.stringMatching(/^sqlTarget\.vpc\.securityGroupIds: is required with "url"/)]);
  });

  it('names the cluster with a valid RDS identifier for any connector id and target name', () => {
    expect(sqlClusterIdentifier('example_connector', 'warehouse')).toBe('hlc-example-connector-warehouse');
    const long = sqlClusterIdentifier(`A${'_'.repeat(31)}`, `w${'-a'.repeat(31)}`);
    const other = sqlClusterIdentifier(`A${'_'.repeat(31)}`, `w${'-a'.repeat(30)}-b`);
    for (const name of [long, other, sqlClusterIdentifier('a-', 'b'), sqlClusterIdentifier('A', 'x--y')]) {
      expect(name).toMatch(/^[a-z](?!.*--)[a-z0-9-]{0,62}$/);
      expect(name).not.toMatch(/-$/);
    }
    expect(long).not.toBe(other);
  });
});

describe('sqlTarget.createCluster infrastructure', () => {
  const one = (type: string): [string, CfnResourceJson] => {
    const found = Object.entries(resourcesOf(template, type));
    expect(found).toHaveLength(1);
    return found[0] as [string, CfnResourceJson];
  };
  const writer = (): [string, CfnResourceJson] => {
    const found = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).filter(
      ([, fn]) =>
        (fn.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables
          .POWERTOOLS_SERVICE_NAME === SQL_WRITER_SERVICE,
    );
    expect(found).toHaveLength(1);
    return found[0] as [string, CfnResourceJson];
  };
  const groupId = (prefix: string) => logicalIdStartingWith(template, 'AWS::EC2::SecurityGroup', prefix);

  it('creates an encrypted Aurora PostgreSQL cluster with IAM auth, deletion protection, backups and logs', () => {
    const [clusterId, cluster] = one('AWS::RDS::DBCluster');
    expect(cluster.Properties).toMatchObject({
      Engine: 'aurora-postgresql',
      EngineVersion: '16.13',
      DBClusterIdentifier: 'hlc-example-connector-warehouse',
      DatabaseName: 'fhir',
      Port: SQL_CLUSTER_PORT,
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [logicalIdStartingWith(template, 'AWS::KMS::Key', 'DataKey'), 'Arn'] },
      EnableIAMDatabaseAuthentication: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 7,
      EnableCloudwatchLogsExports: ['postgresql'],
      ServerlessV2ScalingConfiguration: { MinCapacity: 1, MaxCapacity: 8 },
      VpcSecurityGroupIds: [ref(groupId('SqlWriterDatabaseClusterSecurityGroup'))],
    });
    expect(cluster.DeletionPolicy).toBe('Snapshot');
    expect(cluster.UpdateReplacePolicy).toBe('Snapshot');
    // The writer instance is Serverless v2, not public.
    const [, instance] = one('AWS::RDS::DBInstance');
    expect(instance.Properties).toMatchObject({
      DBInstanceClass: 'db.serverless',
      DBClusterIdentifier: { Ref: clusterId },
      PubliclyAccessible: false,
    });
    // Its log group: the name RDS writes to, with the stack's retention and key, kept on deletion.
    const logs = Object.values(resourcesOf(template, 'AWS::Logs::LogGroup')).filter(
      (group) =>
        group.Properties?.LogGroupName === '/aws/rds/cluster/hlc-example-connector-warehouse/postgresql',
    );
    expect(logs).toHaveLength(1);
    expect(logs[0]?.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: expect.anything() });
    expect(logs[0]?.DeletionPolicy).toBe('Retain');
  });

  it('keeps the admin password in a KMS-encrypted secret that rotates', () => {
    const [secretId, secret] = one('AWS::SecretsManager::Secret');
    expect(secret.Properties).toMatchObject({
      KmsKeyId: { 'Fn::GetAtt': [logicalIdStartingWith(template, 'AWS::KMS::Key', 'DataKey'), 'Arn'] },
      GenerateSecretString: expect.objectContaining({ SecretStringTemplate: '{"username":"hlc_admin"}' }),
    });
    const [, schedule] = one('AWS::SecretsManager::RotationSchedule');
    expect(JSON.stringify(schedule.Properties?.SecretId)).toContain(secretId.replace(/Secret.*$/, 'Secret'));
  });

  it('puts an RDS Proxy in front that requires TLS and IAM, logging in with the admin secret', () => {
    const [, proxy] = one('AWS::RDS::DBProxy');
    expect(proxy.Properties).toMatchObject({
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      Auth: [expect.objectContaining({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' })],
      VpcSubnetIds: SUBNETS,
      VpcSecurityGroupIds: [ref(groupId('SqlWriterDatabaseProxySecurityGroup'))],
    });
  });

  it('lets only the writer reach the proxy and only the proxy (and rotation) reach the cluster', () => {
    const ingress = Object.values(resourcesOf(template, 'AWS::EC2::SecurityGroupIngress'));
    const into = (prefix: string) =>
      ingress.filter(
        (rule) => JSON.stringify(rule.Properties?.GroupId) === JSON.stringify(ref(groupId(prefix))),
      );
    expect(into('SqlWriterDatabaseProxySecurityGroup').map((rule) => rule.Properties)).toEqual([
      expect.objectContaining({
        SourceSecurityGroupId: ref(groupId('SqlWriterSecurityGroup')),
        FromPort: SQL_PROXY_PORT,
        ToPort: SQL_PROXY_PORT,
      }),
    ]);
    const sources = into('SqlWriterDatabaseClusterSecurityGroup').map((rule) => rule.Properties);
    expect(sources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          SourceSecurityGroupId: ref(groupId('SqlWriterDatabaseProxySecurityGroup')),
          FromPort: SQL_CLUSTER_PORT,
        }),
        expect.objectContaining({
          SourceSecurityGroupId: ref(groupId('SqlWriterDatabaseClusterRotationSingleUserSecurityGroup')),
          FromPort: SQL_CLUSTER_PORT,
        }),
      ]),
    );
    expect(sources).toHaveLength(2);
    // No group in the stack admits an address range.
    const groups = Object.values(resourcesOf(template, 'AWS::EC2::SecurityGroup'));
    for (const rule of [
      ...ingress,
      ...groups.flatMap(
        (group) =>
          (group.Properties?.SecurityGroupIngress as CfnResourceJson['Properties'][] | undefined) ?? [],
      ),
    ]) {
      expect(JSON.stringify(rule)).not.toMatch(/CidrIp/);
    }
  });

  it('points the writer at the proxy with IAM auth and verify-full TLS, rds-db:connect on the proxy as the admin user', () => {
    const [, fn] = writer();
    const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    const proxyId = logicalIdStartingWith(template, 'AWS::RDS::DBProxy', 'SqlWriterDatabaseClusterProxy');
    expect(variables).toMatchObject({
      [SQL_WRITER_ENV.auth]: 'iam',
      [SQL_WRITER_ENV.tls]: 'verify-full',
      [SQL_WRITER_ENV.applySchema]: 'true',
      [SQL_WRITER_ENV.url]: {
        'Fn::Join': ['', ['postgres://hlc_admin@', { 'Fn::GetAtt': [proxyId, 'Endpoint'] }, ':5432/fhir']],
      },
      NODE_EXTRA_CA_CERTS: LAMBDA_RDS_CA_BUNDLE,
    });
    expect(variables).not.toHaveProperty(SQL_WRITER_ENV.secretId);
    // In the subnets, with its own group first and the configured one after it.
    expect(fn.Properties?.VpcConfig).toEqual({
      SubnetIds: SUBNETS,
      SecurityGroupIds: [ref(groupId('SqlWriterSecurityGroup')), EXTRA_GROUP],
    });
    const connects = identityStatements(template).filter(({ statement }) =>
      actionsOf(statement).includes('rds-db:connect'),
    );
    expect(connects).toHaveLength(1);
    const resource = JSON.stringify(connects[0]?.statement.Resource);
    expect(resource).toContain(':dbuser:');
    expect(resource).toContain('/hlc_admin');
    expect(resource).toContain(proxyId);
    // (test/infra/partitions.test.ts builds it in aws-us-gov and aws-cn.)
    // The writer never reads the admin secret itself.
    const reads = identityStatements(template).filter(
      ({ policyId, statement }) =>
        policyId.startsWith('SqlWriterFunction') &&
        actionsOf(statement).includes('secretsmanager:GetSecretValue'),
    );
    expect(reads).toEqual([]);
  });

  it('outputs the cluster, the proxy endpoint and the admin secret', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'SqlClusterIdentifier',
        'SqlClusterEndpoint',
        'SqlProxyEndpoint',
        'SqlAdminSecretArn',
      ]),
    );
    expect(outputs.SqlProxyEndpoint?.Value).toEqual({
      'Fn::GetAtt': [logicalIdStartingWith(template, 'AWS::RDS::DBProxy', 'SqlWriter'), 'Endpoint'],
    });
    expect(outputs.SqlAdminSecretArn?.Value).toEqual({
      Ref: logicalIdStartingWith(template, 'AWS::SecretsManager::Secret', 'SqlWriter'),
    });
  });

  it('stays cdk-nag clean (AwsSolutions, HIPAA Security)', () => {
    expect(unacknowledgedNagFindings(built)).toEqual([]);
  });
});
