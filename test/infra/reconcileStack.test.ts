import { Template } from 'aws-cdk-lib/assertions';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES as BACKFILL_METRICS } from '../../lambdas/backfill-worker/createBackfillWorkerHandler.js';
import { RECONCILE_METRICS } from '../../lambdas/reconcile-worker/createReconcileWorkerHandler.js';
import {
  BACKFILL_JOB_METRICS,
  RECONCILE_JOB_METRICS,
  reconcileRoleName,
  SERVICE_NAMES,
} from '../../infra/stacks/HealthLakeConnectorStack.js';
import { RECONCILE_ENV } from '../../shared/reconcile/constants.js';
import { FUNCTION_TABLE_STORES, tableActionsOf } from '../../shared/state/tableActions.js';
import { buildTestApp, exampleConfigInput } from './connectorAppFixture.js';
import {
  actionsOf,
  identityStatements,
  logicalIdStartingWith,
  resourcesOf,
  unacknowledgedNagFindings,
} from './templateQueries.js';

const READS = ['healthlake:ReadResource', 'healthlake:SearchWithGet'];

const build = (enabled: boolean) => {
  const { app, built, config } = buildTestApp(
    enabled ? { reconcile: { enabled: true, healthLakeRequestsPerSecond: 10, retryCount: 3 } } : {},
    { bundle: false },
  );
  return {
    config,
    built,
    connector: Template.fromStack(built.connector),
    customer: Template.fromStack(built.customerAccess!),
    cleanup: () => rmSync(app.outdir, { recursive: true, force: true }),
  };
};

// One synthesis per mode, before the tests (a first synthesis on a loaded machine can take half a minute).
let off: ReturnType<typeof build>;
let on: ReturnType<typeof build>;

beforeAll(() => {
  off = build(false);
  on = build(true);
});

afterAll(() => {
  off?.cleanup();
  on?.cleanup();
});

const readStatements = (template: Template) =>
  identityStatements(template).filter(({ statement }) => actionsOf(statement).some((a) => READS.includes(a)));

describe('Reconcile infrastructure', () => {
  it('grants no HealthLake read anywhere and creates no reconcile worker while reconcile is off', () => {
    const { connector, customer } = off;
    expect(readStatements(customer)).toEqual([]);
    expect(readStatements(connector).filter(({ policyId }) => policyId.startsWith('Reconcile'))).toEqual([]);
    const functions = Object.values(resourcesOf(connector, 'AWS::Lambda::Function'));
    expect(
      functions.some((fn) =>
        Object.keys((fn.Properties?.Environment as { Variables?: object })?.Variables ?? {}).includes(
          RECONCILE_ENV.pageSize,
        ),
      ),
    ).toBe(false);
    expect(
      Object.keys(resourcesOf(connector, 'AWS::CloudWatch::Alarm')).filter((id) => id.includes('Reconcile')),
    ).toEqual([]);
    expect(
      Object.keys(connector.toJSON().Outputs as object).filter((name) => name.startsWith('Reconcile')),
    ).toEqual([]);
  });

  it('when enabled: the customer role trusts the reconcile role and allows ReadResource and SearchWithGet on the data store only; cdk-nag stays clean', () => {
    const { config, built, connector, customer } = on;
    const reads = readStatements(customer).map(({ statement }) => statement);
    expect(reads).toEqual([
      {
        Sid: 'ReadHealthLakeDataStoresForReconcile',
        Effect: 'Allow',
        Action: READS,
        Resource: `arn:aws:healthlake:us-east-1:222222222222:datastore/fhir/${config.dataStore.datastoreId}`,
      },
    ]);
    const role = Object.values(resourcesOf(customer, 'AWS::IAM::Role'))[0];
    expect(JSON.stringify(role?.Properties?.AssumeRolePolicyDocument)).toContain(reconcileRoleName(config));

    const workerRole = Object.values(resourcesOf(connector, 'AWS::IAM::Role')).find(
      (r) => r.Properties?.RoleName === reconcileRoleName(config),
    );
    expect(workerRole).toBeDefined();
    const worker = Object.values(resourcesOf(connector, 'AWS::Lambda::Function')).find((fn) =>
      Object.keys((fn.Properties?.Environment as { Variables?: object })?.Variables ?? {}).includes(
        RECONCILE_ENV.pageSize,
      ),
    );
    const variables = (worker?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables[RECONCILE_ENV.healthLakeRequestsPerSecond]).toBe('10');
    expect(variables[RECONCILE_ENV.queueUrl]).toBeDefined();
    // The worker gives up on the same receive as the queue's redrive policy, so failures keep their cause.
    expect(config.reconcile.retryCount).toBe(3);
    expect(variables[RECONCILE_ENV.maxReceives]).toBe('3');
    const queues = Object.values(resourcesOf(connector, 'AWS::SQS::Queue')).map(
      (queue) => queue.Properties?.RedrivePolicy as { maxReceiveCount?: number } | undefined,
    );
    expect(queues.map((policy) => policy?.maxReceiveCount)).toContain(config.reconcile.retryCount);
    // The worker reaches HealthLake only through the customer role (sts:AssumeRole with the ExternalId).
    const assume = identityStatements(connector).filter(
      ({ policyId, statement }) =>
        policyId.startsWith('Reconcile') && actionsOf(statement).includes('sts:AssumeRole'),
    );
    expect(assume).toHaveLength(1);
    // The ingest function may enqueue reconcile work ($reconcile).
    const ingest = Object.values(resourcesOf(connector, 'AWS::Lambda::Function')).filter((fn) =>
      Object.keys((fn.Properties?.Environment as { Variables?: object })?.Variables ?? {}).includes(
        RECONCILE_ENV.queueUrl,
      ),
    );
    expect(ingest.length).toBe(2);

    expect(unacknowledgedNagFindings(built)).toEqual([]);
  });

  it('with a data store key: reads may decrypt through HealthLake; the worker gets only its stores’ table actions', () => {
    const example = exampleConfigInput();
    const keyArn = (account: string) =>
      `arn:aws:kms:us-east-1:${account}:key/11111111-2222-3333-4444-555555555555`;
    const crossAccount = buildTestApp(
      {
        reconcile: { enabled: true },
        healthLake: { ...example.healthLake, datastoreKmsKeyArn: keyArn('222222222222') },
      },
      { bundle: false },
    );
    const sameAccount = buildTestApp(
      {
        reconcile: { enabled: true },
        healthLake: {
          endpoint: example.healthLake.endpoint,
          access: { mode: 'sameAccount' },
          datastoreKmsKeyArn: keyArn('111111111111'),
        },
      },
      { bundle: false },
    );
    try {
      const decrypt = {
        Sid: 'ReadWithHealthLakeDataStoreKeysUsEast1',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Condition: { StringEquals: { 'kms:ViaService': 'healthlake.us-east-1.amazonaws.com' } },
      };
      const customer = identityStatements(Template.fromStack(crossAccount.built.customerAccess!));
      expect(customer.map(({ statement }) => statement)).toContainEqual({
        ...decrypt,
        Resource: keyArn('222222222222'),
      });
      const worker = identityStatements(Template.fromStack(sameAccount.built.connector))
        .filter(({ policyId }) => policyId.startsWith('ReconcileWorker'))
        .map(({ statement }) => statement);
      expect(worker).toContainEqual({ ...decrypt, Resource: keyArn('111111111111') });
      const table = worker.filter((statement) => actionsOf(statement).some((a) => a.startsWith('dynamodb:')));
      expect(table.map((statement) => [...actionsOf(statement)].sort())).toEqual([
        tableActionsOf(FUNCTION_TABLE_STORES.reconcileWorker),
      ]);
    } finally {
      for (const { app } of [crossAccount, sameAccount]) rmSync(app.outdir, { recursive: true, force: true });
    }
  });

  it('when enabled, monitors reconcile like backfill: DLQ depth and age, worker errors and failed jobs alarm; dashboard widgets; outputs', () => {
    const { connector } = on;
    const alarms = resourcesOf(connector, 'AWS::CloudWatch::Alarm');
    const byId = (prefix: string) =>
      alarms[logicalIdStartingWith(connector, 'AWS::CloudWatch::Alarm', `Monitoring${prefix}`)]?.Properties;
    const reconcileDlq = {
      'Fn::GetAtt': [expect.stringMatching(/^ReconcileDeadLetterQueue/), 'QueueName'],
    };
    expect(byId('ReconcileDlqNotEmpty')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: reconcileDlq }],
      Threshold: 1,
      TreatMissingData: 'ignore',
    });
    expect(byId('ReconcileDlqAge')).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: reconcileDlq }],
      TreatMissingData: 'ignore',
    });
    expect(byId('ReconcileWorkerErrors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^ReconcileWorker/) } }],
    });
    expect(byId('ReconcileJobsFailed')).toMatchObject({
      MetricName: RECONCILE_METRICS.jobsFailed,
      Dimensions: [
        { Name: 'connector', Value: 'example_connector' },
        { Name: 'service', Value: SERVICE_NAMES.reconcile },
      ],
    });

    const [dashboard] = Object.values(resourcesOf(connector, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    for (const expected of [
      'Reconcile progress (per 5 min)',
      RECONCILE_METRICS.compared,
      'Reconcile queue',
      'Reconcile DLQ',
      'reconcile errors',
    ]) {
      expect(body).toContain(expected);
    }

    const outputs = connector.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ReconcileWorkerLogGroupName?.Value).toEqual({
      Ref: logicalIdStartingWith(connector, 'AWS::Logs::LogGroup', 'ReconcileWorkerLogGroup'),
    });
    expect(outputs.ReconcileQueueUrl?.Value).toEqual({
      Ref: logicalIdStartingWith(connector, 'AWS::SQS::Queue', 'ReconcileQueue'),
    });
    expect(outputs.ReconcileDeadLetterQueueUrl?.Value).toEqual({
      Ref: logicalIdStartingWith(connector, 'AWS::SQS::Queue', 'ReconcileDeadLetterQueue'),
    });
  });

  it('queries the job metric names the workers publish', () => {
    expect(RECONCILE_JOB_METRICS).toEqual(RECONCILE_METRICS);
    expect(BACKFILL_JOB_METRICS).toEqual(BACKFILL_METRICS);
  });
});
