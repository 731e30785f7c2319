import { Template } from 'aws-cdk-lib/assertions';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '../../infra/config/errors.js';
import { parseConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import type { ConnectorConfigInput } from '../../infra/config/schema.js';
import { LAMBDA_RDS_CA_BUNDLE } from '../../infra/constructs/SqlWriter.js';
import { ENV } from '../../shared/config/constants.js';
import { DELIVERY_REDRIVE_BACKSTOP } from '../../shared/delivery/constants.js';
import { SQL_WRITER_ENV, SQL_WRITER_SERVICE } from '../../shared/sqlWriter/constants.js';
import { buildTestApp, exampleConfigInput } from './connectorAppFixture.js';
import {
  actionsOf,
  identityStatements,
  logicalIdStartingWith,
  resourcesOf,
  unacknowledgedNagFindings,
  type CfnResourceJson,
} from './templateQueries.js';

const VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  securityGroupIds: ['sg-0123456789abcdef0'],
};
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:hlc/warehouse-AbCdEf';
type SqlTargetInput = NonNullable<ConnectorConfigInput['sqlTarget']>;
const secretTarget: SqlTargetInput = {
  url: 'postgres://hlc_writer@warehouse.cluster-abc.us-east-1.rds.amazonaws.com:5432/fhir',
  secret: { arn: SECRET_ARN },
  vpc: VPC,
};
const iamTarget: SqlTargetInput = {
  name: 'analytics',
  url: 'postgres://hlc_iam@warehouse.cluster-abc.us-east-1.rds.amazonaws.com:5432/fhir',
  auth: 'iam',
  iamResourceId: 'cluster-ABCDEFGHIJKLMNOP',
  vpc: VPC,
  maxConcurrency: 4,
};

const build = (sqlTarget?: SqlTargetInput) => {
  const { app, built } = buildTestApp(sqlTarget === undefined ? {} : { sqlTarget }, { bundle: false });
  return {
    built,
    template: Template.fromStack(built.connector),
    cleanup: () => rmSync(app.outdir, { recursive: true, force: true }),
  };
};

const variablesOf = (fn: CfnResourceJson): Record<string, unknown> =>
  (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
const functions = (template: Template) => Object.entries(resourcesOf(template, 'AWS::Lambda::Function'));
const sqlWriterOf = (template: Template) => {
  const found = functions(template).filter(
    ([, fn]) => variablesOf(fn).POWERTOOLS_SERVICE_NAME === SQL_WRITER_SERVICE,
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, CfnResourceJson];
};

// One synthesis per configuration, before the tests (synthesis is slow on a loaded machine).
let none: ReturnType<typeof build>;
let secret: ReturnType<typeof build>;
let iam: ReturnType<typeof build>;

beforeAll(() => {
  none = build();
  secret = build(secretTarget);
  iam = build(iamTarget);
}, 240_000);

afterAll(() => {
  none?.cleanup();
  secret?.cleanup();
  iam?.cleanup();
});

describe('SQL target configuration', () => {
  const problems = (sqlTarget: unknown): string[] => {
    try {
      parseConnectorConfig({ ...exampleConfigInput(), sqlTarget }, 'test');
      return [];
    } catch (error) {
      if (error instanceof InvalidConfigurationError) return [...error.problems];
      throw error;
    }
  };

  it('lists every problem of a bad SQL target at once, in plain words', () => {
    const found = problems({
      name: 'Warehouse!',
      url: 'postgres://writer:hunter2@db.example.org:5432/fhir',
      vpc: { vpcId: 'vpc-1', subnetIds: [], securityGroupIds: ['sg-0123456789abcdef0'] },
      maxConcurrency: 1,
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sqlTarget\.name: must be lower case letters/),
        expect.stringMatching(/^sqlTarget\.url: must not hold a password/),
        expect.stringMatching(/^sqlTarget\.vpc\.vpcId: must be a VPC id/),
        expect.stringMatching(/^sqlTarget\.vpc\.subnetIds: must list at least one private subnet/),
        expect.stringMatching(/^sqlTarget\.maxConcurrency: must be at least 2/),
      ]),
    );
    // The password itself is never echoed back.
    expect(found.join('\n')).not.toContain('hunter2');
  });

  it('asks for the secret of secret auth and the resource id of IAM auth, and for the VPC', () => {
    expect(problems({ url: secretTarget.url, vpc: VPC })).toEqual([
      expect.stringMatching(/^sqlTarget\.secret: auth "secret" needs "secret"/),
    ]);
    expect(problems({ url: secretTarget.url, auth: 'iam', vpc: VPC })).toEqual([
      expect.stringMatching(/^sqlTarget\.iamResourceId: auth "iam" needs "iamResourceId"/),
    ]);
    expect(problems({ url: secretTarget.url, secret: { arn: SECRET_ARN } })).toEqual([
      expect.stringMatching(/^sqlTarget\.vpc: is required/),
    ]);
    expect(problems({ ...secretTarget, mappingFile: '../outside.json' })).toEqual([
      expect.stringMatching(/^sqlTarget\.mappingFile: must be a relative path/),
    ]);
    expect(problems({ ...secretTarget, url: 'https://db.example.org/fhir' })).toEqual([
      expect.stringMatching(/^sqlTarget\.url: must be a postgres:\/\/user@host:port\/database URL/),
    ]);
  });

  it('fills the defaults of a minimal SQL target', () => {
    const config = parseConnectorConfig({ ...exampleConfigInput(), sqlTarget: secretTarget }, 'test');
    expect(config.sqlTarget).toMatchObject({
      name: 'warehouse',
      auth: 'secret',
      tls: 'verify-full',
      applySchema: false,
      maxConcurrency: 2,
      maxConnections: 2,
      batchSize: 10,
      timeoutSeconds: 60,
    });
  });
});

describe('SQL target infrastructure', () => {
  it('creates no SQL queue, writer or variable while no SQL target is configured', () => {
    const { template } = none;
    expect(Object.keys(resourcesOf(template, 'AWS::SQS::Queue'))).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^SqlWriter/)]),
    );
    for (const [, fn] of functions(template)) {
      expect(variablesOf(fn)).not.toHaveProperty(SQL_WRITER_ENV.queueUrl);
      expect(variablesOf(fn).POWERTOOLS_SERVICE_NAME).not.toBe(SQL_WRITER_SERVICE);
    }
    expect(Object.keys(template.toJSON().Outputs as object)).not.toContain('SqlQueueUrl');
  });

  it('gives the SQL target its own encrypted FIFO queue and FIFO DLQ, and the writer nodejs24.x in the VPC', () => {
    const { template } = secret;
    const queues = Object.entries(resourcesOf(template, 'AWS::SQS::Queue')).filter(([id]) =>
      id.startsWith('SqlWriter'),
    );
    expect(queues).toHaveLength(2);
    for (const [, queue] of queues) {
      expect(queue.Properties).toMatchObject({ FifoQueue: true, KmsMasterKeyId: expect.anything() });
    }
    const [id, writer] = sqlWriterOf(template);
    expect(writer.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      VpcConfig: { SubnetIds: VPC.subnetIds, SecurityGroupIds: VPC.securityGroupIds },
    });
    expect(variablesOf(writer)).toMatchObject({
      [SQL_WRITER_ENV.targetName]: 'warehouse',
      [SQL_WRITER_ENV.url]: secretTarget.url,
      [SQL_WRITER_ENV.auth]: 'secret',
      [SQL_WRITER_ENV.secretId]: SECRET_ARN,
      [SQL_WRITER_ENV.tls]: 'verify-full',
      NODE_EXTRA_CA_CERTS: LAMBDA_RDS_CA_BUNDLE,
    });
    // Its event source: the SQL queue, partial batch responses, the configured concurrency.
    const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).filter(
      (mapping) => JSON.stringify(mapping.Properties?.FunctionName).includes(id),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
      BatchSize: 10,
    });
    // The HealthLake deliverer and every other function stay outside the VPC.
    const inVpc = functions(template).filter(([, fn]) => fn.Properties?.VpcConfig !== undefined);
    expect(inVpc.map(([logicalId]) => logicalId)).toEqual([id]);
  });

  it('lets ingest, backfill and the writer use exactly what they need: send, consume, the secret', () => {
    const { template } = secret;
    const [writerId] = sqlWriterOf(template);
    const senders = functions(template).filter(([, fn]) => variablesOf(fn)[SQL_WRITER_ENV.queueUrl]);
    // Ingest and the backfill worker (reconcile is off in the example) name the SQL queue and target.
    expect(senders).toHaveLength(3); // ingest, backfill worker, and the writer itself
    for (const [logicalId, fn] of senders) {
      if (logicalId === writerId) continue;
      expect(variablesOf(fn)[SQL_WRITER_ENV.targetNames]).toBe('warehouse');
    }
    const statements = identityStatements(template);
    const sqlQueueRefs = Object.keys(resourcesOf(template, 'AWS::SQS::Queue')).filter((queueId) =>
      queueId.startsWith('SqlWriter'),
    );
    const sendsToSql = statements.filter(
      ({ statement }) =>
        actionsOf(statement).includes('sqs:SendMessage') &&
        sqlQueueRefs.some((queueId) => JSON.stringify(statement.Resource).includes(queueId)),
    );
    // Ingest and backfill send to the SQL queue; the writer sends to its DLQ.
    expect(sendsToSql.length).toBe(3);
    const secretReads = statements.filter(({ statement }) =>
      actionsOf(statement).includes('secretsmanager:GetSecretValue'),
    );
    expect(secretReads.some(({ statement }) => JSON.stringify(statement.Resource).includes(SECRET_ARN))).toBe(
      true,
    );
    expect(statements.some(({ statement }) => actionsOf(statement).includes('rds-db:connect'))).toBe(false);
  });

  it('lets the writer count failed attempts in the state table (UpdateItem only); SQS redrive is a backstop', () => {
    const { template } = secret;
    const [writerId, writer] = sqlWriterOf(template);
    const tableId = logicalIdStartingWith(template, 'AWS::DynamoDB::Table', 'StateTable');
    expect(variablesOf(writer)[ENV.stateTable]).toEqual({ Ref: tableId });
    const onTable = identityStatements(template).filter(
      ({ policyId, statement }) =>
        policyId.startsWith(writerId.replace(/Function.*$/, 'Function')) &&
        JSON.stringify(statement.Resource).includes(tableId),
    );
    expect(onTable.flatMap(({ statement }) => actionsOf(statement))).toEqual(['dynamodb:UpdateItem']);
    const [, queue] = Object.entries(resourcesOf(template, 'AWS::SQS::Queue')).find(([id]) =>
      id.startsWith('SqlWriterQueuesQueue'),
    ) as [string, CfnResourceJson];
    expect(queue.Properties?.RedrivePolicy).toMatchObject({ maxReceiveCount: DELIVERY_REDRIVE_BACKSTOP });
  });

  it('with IAM authentication: rds-db:connect on exactly the configured database user, no secret', () => {
    const { template } = iam;
    const [, writer] = sqlWriterOf(template);
    expect(variablesOf(writer)).toMatchObject({
      [SQL_WRITER_ENV.targetName]: 'analytics',
      [SQL_WRITER_ENV.auth]: 'iam',
    });
    expect(variablesOf(writer)).not.toHaveProperty(SQL_WRITER_ENV.secretId);
    const connects = identityStatements(template).filter(({ statement }) =>
      actionsOf(statement).includes('rds-db:connect'),
    );
    expect(connects).toHaveLength(1);
    expect(JSON.stringify(connects[0]?.statement.Resource)).toContain(
      ':dbuser:cluster-ABCDEFGHIJKLMNOP/hlc_iam',
    );
  });

  it('alarms on the SQL DLQ, its age, the backlog, writer errors and schema problems; outputs the SQL queues', () => {
    const { template } = iam;
    const alarms = Object.keys(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    for (const name of [
      'SqlDlqNotEmpty',
      'SqlDlqAge',
      'SqlBacklogAge',
      'SqlWriterErrors',
      'SqlSchemaProblems',
    ]) {
      expect(alarms.some((alarm) => alarm.includes(name))).toBe(true);
    }
    const dashboard = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'))[0];
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    expect(body).toContain('SQL target sql://analytics');
    expect(body).toContain('SqlWritesDeadLettered');
    expect(Object.keys(template.toJSON().Outputs as object)).toEqual(
      expect.arrayContaining(['SqlQueueUrl', 'SqlDeadLetterQueueUrl', 'SqlWriterLogGroupName']),
    );
  });

  it('stays cdk-nag clean in both authentication modes', () => {
    expect(unacknowledgedNagFindings(secret.built)).toEqual([]);
    expect(unacknowledgedNagFindings(iam.built)).toEqual([]);
  });
});
