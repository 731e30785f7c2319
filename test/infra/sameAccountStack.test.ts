import { rmSync } from 'node:fs';
import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorApp } from '../../infra/buildConnectorApp.js';
import { ENV } from '../../shared/config/constants.js';
import { INGEST_ENV } from '../../shared/ingest/constants.js';
import { buildTestApp } from './connectorAppFixture.js';
import {
  actionsOf,
  expectResourceCount,
  expectResourceProperties,
  identityStatements,
  resourcesOf,
} from './templateQueries.js';

const STORE_A = '0123456789abcdef0123456789abcdef';
const STORE_B = 'fedcba9876543210fedcba9876543210';
const SOURCE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ADMIN_ROLE = 'arn:aws:iam::123456789012:role/ops/connector-admin';
const ADMIN_USER = 'arn:aws:iam::123456789012:user/break-glass';

// Same-account mode, SigV4 (IAM) ingest, two allowed data stores, auto-subscription off, other limits
// changed: one synthesis without bundling (connectorStack.test.ts bundles the real handlers).
let app: App;
let built: ConnectorApp;
let template: Template;

beforeAll(() => {
  ({ app, built } = buildTestApp(
    {
      healthLake: {
        endpoint: `https://healthlake.us-east-1.amazonaws.com/datastore/${STORE_A}/r4/`,
        access: { mode: 'sameAccount' },
        // A second data store in another region: each is signed with its own region.
        additionalAllowedEndpoints: [`https://healthlake.eu-west-2.amazonaws.com/datastore/${STORE_B}/r4`],
      },
      autoSubscription: { enabled: false },
      sourceFhir: {
        baseUrl: `https://healthlake.ap-southeast-2.amazonaws.com/datastore/${SOURCE}/r4/`,
        auth: 'sigv4',
        requestsPerSecond: 20,
      },
      delivery: { retryCount: 3, maxConcurrency: 40, batchSize: 4, timeoutSeconds: 120 },
      ingest: {
        authMode: 'iam',
        throttlingRateLimit: 25,
        throttlingBurstLimit: 50,
        adminPrincipalArns: [ADMIN_ROLE, ADMIN_USER],
      },
      alarms: { oldestMessageAgeSeconds: 300, unmatchedWrites: 50 },
      subscriptions: { maxCount: 7 },
      logRetentionDays: 30,
    },
    { bundle: false },
  ));
  template = Template.fromStack(built.connector);
});

afterAll(() => {
  rmSync(app.outdir, { recursive: true, force: true });
});

describe('Stack: HealthLakeConnectorStack (same account, IAM ingest)', () => {
  it('creates no customer stack', () => {
    expect(built.customerAccess).toBeUndefined();
  });

  it('grants the deliverer the HealthLake write actions on exactly the allowed data stores, and no AssumeRole', () => {
    const statements = identityStatements(template).map((entry) => entry.statement);
    expect(statements.flatMap(actionsOf)).not.toContain('sts:AssumeRole');
    // The backfill worker's source read (its own Sid) is checked below.
    const healthLake = statements.filter(
      (statement) =>
        statement.Sid !== 'ReadSourceDataStore' &&
        actionsOf(statement).some((a) => a.startsWith('healthlake:')),
    );
    // (@aws-cdk/aws-iam:minimizePolicies sorts the actions.)
    expect(healthLake).toEqual([
      {
        Sid: 'WriteHealthLakeDataStores',
        Effect: 'Allow',
        Action: ['healthlake:CreateResource', 'healthlake:DeleteResource', 'healthlake:UpdateResource'],
        // (minimizePolicies sorts the resources too.)
        Resource: [
          `arn:aws:healthlake:eu-west-2:111111111111:datastore/fhir/${STORE_B}`,
          `arn:aws:healthlake:us-east-1:111111111111:datastore/fhir/${STORE_A}`,
        ],
      },
    ]);
    expectResourceProperties(template, 'AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.allowedEndpoints]: [
            `https://healthlake.us-east-1.amazonaws.com/datastore/${STORE_A}/r4/`,
            `https://healthlake.eu-west-2.amazonaws.com/datastore/${STORE_B}/r4/`,
          ].join(','),
          [ENV.healthLakeRoleArn]: Match.absent(),
        }),
      },
    });
  });

  it('lets the backfill worker and the deliverer (payload search) read, GET-search and read the capabilities of a HealthLake source it signs for, and nothing else', () => {
    const reads = identityStatements(template).filter(
      ({ statement }) => statement.Sid === 'ReadSourceDataStore',
    );
    const statement = {
      Sid: 'ReadSourceDataStore',
      Effect: 'Allow',
      // GetCapabilities: `GET [base]/metadata` plans `[*]` backfills; the client never searches with POST.
      Action: ['healthlake:GetCapabilities', 'healthlake:ReadResource', 'healthlake:SearchWithGet'],
      Resource: `arn:aws:healthlake:ap-southeast-2:111111111111:datastore/fhir/${SOURCE}`,
    };
    expect(reads.map((read) => read.statement)).toEqual([statement, statement]);
    expect(reads.map((read) => read.policyId).sort()).toEqual([
      expect.stringMatching(/^BackfillWorkerServiceRoleDefaultPolicy/),
      expect.stringMatching(/^DelivererFunctionServiceRoleDefaultPolicy/),
    ]);
    expectResourceProperties(template, 'AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.sourceFhirAuth]: 'sigv4',
          // The source data store's region, from the configuration, not the function's.
          [ENV.sourceFhirRegion]: 'ap-southeast-2',
          [ENV.sourceFhirRequestsPerSecond]: '20',
          [ENV.sourceFhirSecretId]: Match.absent(),
        }),
      },
    });
    expect(
      identityStatements(template).filter(({ statement }) =>
        actionsOf(statement).includes('secretsmanager:GetSecretValue'),
      ),
    ).toEqual([]);
  });

  it('requires SigV4 (AWS_IAM) on every API method and tells the Lambda so', () => {
    for (const method of Object.values(resourcesOf(template, 'AWS::ApiGateway::Method'))) {
      expect(method.Properties).toMatchObject({ AuthorizationType: 'AWS_IAM' });
    }
    expectResourceProperties(template, 'AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          INGEST_AUTH_MODES: 'iam',
          [ENV.ingestTokenSecretId]: Match.absent(),
          // The Lambda checks admin routes against this list (API Gateway only checks the signature).
          [INGEST_ENV.adminPrincipalArns]: `${ADMIN_ROLE},${ADMIN_USER}`,
          [INGEST_ENV.maxSubscriptions]: '7',
        }),
      },
    });
    expectResourceProperties(template, 'AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 }),
      ]),
    });
  });

  it('applies the configured delivery settings to the queue and event source mapping', () => {
    expectResourceProperties(template, 'AWS::SQS::Queue', {
      FifoQueue: true,
      VisibilityTimeout: 720,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 1000 }),
    });
    expectResourceProperties(template, 'AWS::Lambda::EventSourceMapping', {
      BatchSize: 4,
      ScalingConfig: { MaximumConcurrency: 40 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expectResourceProperties(template, 'AWS::Lambda::Function', { Timeout: 120, Runtime: 'nodejs24.x' });
  });

  it('applies the configured log retention and alarm threshold, and skips the auto-managed subscription', () => {
    for (const group of Object.values(resourcesOf(template, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties?.RetentionInDays).toBe(30);
    }
    expectResourceProperties(template, 'AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 300,
    });
    expectResourceProperties(template, 'AWS::CloudWatch::Alarm', {
      MetricName: 'WritesUnmatched',
      Threshold: 50,
    });
    expectResourceCount(template, 'Custom::AutoManagedSubscription', 0);
  });

  it('has zero unacknowledged cdk-nag findings in this mode too', () => {
    for (const pack of built.nagPacks) {
      const report = pack.validateScope(built.connector);
      expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    }
  });
});
