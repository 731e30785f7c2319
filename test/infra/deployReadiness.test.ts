import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorApp } from '../../infra/buildConnectorApp.js';
import type { ConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import type { ConnectorConfigInput } from '../../infra/config/schema.js';
import { CONNECTOR_DIMENSION, METRICS_NAMESPACE } from '../../shared/delivery/constants.js';
import { DELIVERY_DEPLOYED_STATE_TAG } from '../../shared/operator/deliverySwitch.js';
import {
  CONDITIONED_STORES,
  FUNCTION_TABLE_STORES,
  tableActionsOf,
  type TableStore,
} from '../../shared/state/tableActions.js';
import { buildTestApp, cdkJsonContext, exampleConfigInput } from './connectorAppFixture.js';
import {
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

const repoRoot = resolve(import.meta.dirname, '../..');
const KEY_ARN = 'arn:aws:kms:us-east-1:222222222222:key/11111111-2222-3333-4444-555555555555';
const SAME_ACCOUNT_KEY_ARN = 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555';

interface Built {
  readonly app: App;
  readonly built: ConnectorApp;
  readonly config: ConnectorConfig;
  readonly template: Template;
}

const build = (overrides: Partial<ConnectorConfigInput>): Built => {
  const { app, built, config } = buildTestApp(overrides, { bundle: false });
  return { app, built, config, template: Template.fromStack(built.connector) };
};

// Three syntheses without bundling (connectorStack.test.ts bundles the real handlers): the example as
// committed (defaults), the example with every deploy switch on (reconcile, delivery paused too), and
// same-account mode with them on.
let defaults: Built;
let switchesOn: Built;
let sameAccount: Built;
let assembly: CloudAssembly;

const allSwitches = (ingest: ConnectorConfigInput['ingest']): Partial<ConnectorConfigInput> => ({
  ingest: {
    ...ingest,
    executionLogs: 'error',
    apiGatewayAccountRole: true,
    waf: { rateLimit: 500, evaluationWindowSeconds: 60 },
    allowedSourceCidrs: ['203.0.113.0/24', '2001:db8::/32'],
  },
  logLevel: 'debug',
});

beforeAll(() => {
  const example = exampleConfigInput();
  defaults = build({});
  assembly = defaults.app.synth();
  switchesOn = build({
    ...allSwitches(example.ingest),
    healthLake: { ...example.healthLake, datastoreKmsKeyArn: KEY_ARN },
    reconcile: { enabled: true },
    delivery: { paused: true },
  });
  sameAccount = build({
    ...allSwitches({ authMode: 'iam' }),
    healthLake: {
      endpoint: example.healthLake.endpoint,
      access: { mode: 'sameAccount' },
      datastoreKmsKeyArn: SAME_ACCOUNT_KEY_ARN,
    },
  });
});

afterAll(() => {
  for (const { app } of [defaults, switchesOn, sameAccount])
    rmSync(app.outdir, { recursive: true, force: true });
});

/** Statements of the policies attached to the role whose logical id starts with `rolePrefix`. */
const statementsOfRole = (template: Template, rolePrefix: string): PolicyStatementJson[] => {
  const roleId = logicalIdStartingWith(template, 'AWS::IAM::Role', rolePrefix);
  const policies = resourcesOf(template, 'AWS::IAM::Policy');
  return identityStatements(template)
    .filter(({ policyId }) =>
      ((policies[policyId]?.Properties?.Roles as { Ref: string }[] | undefined) ?? []).some(
        (role) => role.Ref === roleId,
      ),
    )
    .map(({ statement }) => statement);
};

describe('Customer stack deploys into an account without CDK bootstrap', () => {
  it('its manifest needs no bootstrap version, deploy role or template upload', () => {
    const customer = defaults.built.customerAccess;
    if (customer === undefined) throw new Error('the example is cross-account');
    const artifact = assembly.getStackArtifact(customer.artifactId);
    const properties = artifact.manifest.properties as unknown as Record<string, unknown>;
    expect(properties.requiresBootstrapStackVersion).toBeUndefined();
    expect(properties.bootstrapStackVersionSsmParameter).toBeUndefined();
    expect(properties.stackTemplateAssetObjectUrl).toBeUndefined();
    expect(properties.assumeRoleArn).toBeUndefined();
    expect(properties.cloudFormationExecutionRoleArn).toBeUndefined();
    expect(properties.lookupRole).toBeUndefined();
    // No asset manifest: nothing is uploaded for it, not even its template.
    expect(artifact.dependencies.map((dependency) => dependency.id)).toEqual([]);
    expect(
      assembly.artifacts.filter((candidate) => candidate.id.startsWith(`${customer.artifactId}.assets`)),
    ).toEqual([]);
    expect(artifact.template).not.toHaveProperty('Parameters.BootstrapVersion');
  });

  it('while the connector stack keeps the standard bootstrap (it has Lambda assets)', () => {
    const artifact = assembly.getStackArtifact(defaults.built.connector.artifactId);
    expect(artifact.manifest.properties).toMatchObject({ requiresBootstrapStackVersion: 6 });
  });
});

describe('Two regions and two connectors never collide', () => {
  it('names the dashboard after the connector and the region', () => {
    expectResourceProperties(defaults.template, 'AWS::CloudWatch::Dashboard', {
      DashboardName: `HealthLakeConnector-${defaults.config.connectorId}-${defaults.config.region}`,
    });
  });

  it('names the REST API after the connector (its ApiName metric dimension)', () => {
    expectResourceProperties(defaults.template, 'AWS::ApiGateway::RestApi', {
      Name: `HealthLakeConnector-${defaults.config.connectorId}`,
    });
  });

  it('gives every function the connector id its metrics carry as the connector dimension', () => {
    for (const fn of Object.values(resourcesOf(defaults.template, 'AWS::Lambda::Function'))) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables;
      if (variables?.POWERTOOLS_SERVICE_NAME === undefined) continue; // the CDK Provider framework's own
      expect(variables.CONNECTOR_ID).toBe(defaults.config.connectorId);
    }
  });

  it('filters every alarm and dashboard metric on this connector', () => {
    const connectorId = defaults.config.connectorId;
    const apiName = `HealthLakeConnector-${connectorId}`;
    type Dimension = { Name: string; Value: unknown };
    interface SeenMetric {
      readonly where: string;
      readonly namespace: unknown;
      readonly dimensions: readonly Dimension[];
    }
    /** Whether a metric can only be this connector's. */
    const isThisConnectors = ({ namespace, dimensions }: SeenMetric): boolean => {
      const has = (name: string, value?: unknown) =>
        dimensions.some((d) => d.Name === name && (value === undefined || d.Value === value));
      if (namespace === METRICS_NAMESPACE) return has(CONNECTOR_DIMENSION, connectorId);
      if (namespace === 'AWS/ApiGateway') return has('ApiName', apiName);
      if (namespace === 'AWS/HealthLake') return true; // the data store's own metrics, by DatastoreId
      // AWS/SQS and AWS/Lambda: keyed by this stack's own queue and function names.
      return has('QueueName') || has('FunctionName');
    };

    const seen: SeenMetric[] = [];
    const expressions: string[] = [];
    for (const [id, alarm] of Object.entries(resourcesOf(defaults.template, 'AWS::CloudWatch::Alarm'))) {
      const p = alarm.Properties ?? {};
      if (p.MetricName !== undefined) {
        seen.push({ where: id, namespace: p.Namespace, dimensions: p.Dimensions as Dimension[] });
      }
      for (const query of (p.Metrics as { MetricStat?: { Metric: Record<string, unknown> } }[]) ?? []) {
        const metric = query.MetricStat?.Metric;
        if (metric !== undefined) {
          seen.push({ where: id, namespace: metric.Namespace, dimensions: metric.Dimensions as Dimension[] });
        }
      }
    }
    // Dashboard: the body is a Fn::Join of text and tokens; tokens become placeholders.
    const [dashboard] = Object.values(resourcesOf(defaults.template, 'AWS::CloudWatch::Dashboard'));
    const parts = (dashboard?.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] })[
      'Fn::Join'
    ][1];
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('')) as {
      widgets: { properties: { metrics?: unknown[][] } }[];
    };
    for (const metric of body.widgets.flatMap((widget) => widget.properties.metrics ?? [])) {
      const [first] = metric;
      if (typeof first === 'object' && first !== null) {
        expressions.push((first as { expression?: string }).expression ?? '');
        continue;
      }
      const fields = metric.slice(2).filter((field) => typeof field === 'string');
      const dimensions = fields.flatMap((field, i) =>
        i % 2 === 0 && i + 1 < fields.length ? [{ Name: field, Value: fields[i + 1] }] : [],
      );
      seen.push({ where: `dashboard ${JSON.stringify(metric)}`, namespace: first, dimensions });
    }

    expect(seen.filter((metric) => metric.namespace === METRICS_NAMESPACE).length).toBeGreaterThan(10);
    expect(seen.filter((metric) => !isThisConnectors(metric))).toEqual([]);
    const insights = expressions.filter((expression) => expression.includes(`FROM "${METRICS_NAMESPACE}"`));
    expect(insights.length).toBeGreaterThan(3);
    expect(
      insights.filter((expression) => !expression.includes(`WHERE connector = '${connectorId}' AND`)),
    ).toEqual([]);
  });
});

describe('Feature flags (cdk.json)', () => {
  it('sets every flag aws-cdk-lib recommends for new projects, at the recommended value', () => {
    const recommended = JSON.parse(
      readFileSync(resolve(repoRoot, 'node_modules/aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
    ) as Record<string, unknown>;
    const context = cdkJsonContext();
    const differing = Object.entries(recommended).filter(
      ([flag, value]) => JSON.stringify(context[flag]) !== JSON.stringify(value),
    );
    expect(differing).toEqual([]);
  });
});

describe('Least privilege on the state table', () => {
  const functions = [
    ['IngestServiceRole', FUNCTION_TABLE_STORES.ingest],
    ['DelivererFunctionServiceRole', FUNCTION_TABLE_STORES.deliverer],
    ['BackfillWorkerServiceRole', FUNCTION_TABLE_STORES.backfillWorker],
    ['AutoSubscriptionFunctionServiceRole', FUNCTION_TABLE_STORES.subscriptionProvisioner],
  ] as const;

  it.each(functions)('gives %s exactly the table actions of the stores it builds', (rolePrefix, stores) => {
    const statements = statementsOfRole(defaults.template, rolePrefix);
    const dynamo = statements.filter((statement) =>
      actionsOf(statement).some((a) => a.startsWith('dynamodb:')),
    );
    const plain = dynamo.filter((statement) => statement.Condition === undefined);
    expect(plain).toHaveLength(1);
    const conditioned = (store: TableStore) => CONDITIONED_STORES.includes(store);
    expect([...actionsOf(plain[0] as PolicyStatementJson)].sort()).toEqual(
      tableActionsOf(stores.filter((store) => !conditioned(store))),
    );
    const underConditions = dynamo.filter((statement) => statement.Condition !== undefined);
    expect([...new Set(underConditions.flatMap(actionsOf))].sort()).toEqual(
      tableActionsOf(stores.filter(conditioned)),
    );
    expect(plain[0]?.Resource).toEqual({
      'Fn::GetAtt': [logicalIdStartingWith(defaults.template, 'AWS::DynamoDB::Table', 'StateTable'), 'Arn'],
    });
  });

  it('grants no function DeleteItem or a wildcard on the table, and Scan or BatchWriteItem only under conditions', () => {
    const statements = identityStatements(defaults.template).map(({ statement }) => statement);
    const all = statements.flatMap((statement) => actionsOf(statement));
    expect(all.filter((action) => /^dynamodb:(DeleteItem|\*)$/.test(action))).toEqual([]);
    const bulk = statements.filter((statement) =>
      actionsOf(statement).some((action) => /^dynamodb:(Scan|BatchWriteItem)$/.test(action)),
    );
    // $reset-version only: deletes on resource partitions, a scan for keys.
    expect(bulk.map((statement) => JSON.stringify(statement.Condition ?? null))).toEqual([
      JSON.stringify({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RES#*'] } }),
      JSON.stringify({
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk'] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      }),
    ]);
  });
});

describe('API Gateway logging and the account-wide role', () => {
  it('turns execution logs off by default and leaves the account-wide CloudWatch role alone', () => {
    expectResourceCount(defaults.template, 'AWS::ApiGateway::Account', 0);
    expectResourceProperties(defaults.template, 'AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ LoggingLevel: 'OFF', DataTraceEnabled: false })],
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    const groups = JSON.stringify(resourcesOf(defaults.template, 'AWS::Logs::LogGroup'));
    expect(groups).not.toContain('API-Gateway-Execution-Logs');
  });

  it('creates the execution-log group with retention and the key before the stage, when asked', () => {
    const { template } = switchesOn;
    const groupId = Object.entries(resourcesOf(template, 'AWS::Logs::LogGroup')).find(([, group]) =>
      JSON.stringify(group.Properties?.LogGroupName ?? '').includes('API-Gateway-Execution-Logs_'),
    )?.[0];
    if (groupId === undefined) throw new Error('no execution-log group');
    expectResource(template, 'AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: {
          'Fn::Join': [
            '',
            [
              'API-Gateway-Execution-Logs_',
              { Ref: logicalIdStartingWith(template, 'AWS::ApiGateway::RestApi', 'IngestApi') },
              '/fhir',
            ],
          ],
        },
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [logicalIdStartingWith(template, 'AWS::KMS::Key', 'DataKey'), 'Arn'] },
      },
      // API Gateway fixes the name: a kept group would block turning execution logs off and on again.
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
    expectResource(template, 'AWS::ApiGateway::Stage', {
      Properties: { MethodSettings: [Match.objectLike({ LoggingLevel: 'ERROR', DataTraceEnabled: false })] },
      DependsOn: Match.arrayWith([groupId]),
    });
  });

  it('creates the account-wide API Gateway CloudWatch role only when opted in, and retains it', () => {
    expectResourceCount(switchesOn.template, 'AWS::ApiGateway::Account', 1);
    expectResource(switchesOn.template, 'AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
  });
});

describe('Optional AWS WAF and source-IP allow-list', () => {
  it('adds no web ACL and no resource policy by default', () => {
    expectResourceCount(defaults.template, 'AWS::WAFv2::WebACL', 0);
    expectResourceProperties(defaults.template, 'AWS::ApiGateway::RestApi', { Policy: Match.absent() });
  });

  it('puts a regional web ACL with a per-IP rate rule on the stage', () => {
    const { template } = switchesOn;
    expectResourceProperties(template, 'AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Action: { Block: {} },
          Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 500, EvaluationWindowSec: 60 } },
        }),
      ],
    });
    const stageId = logicalIdStartingWith(template, 'AWS::ApiGateway::Stage', 'IngestApi');
    const apiId = logicalIdStartingWith(template, 'AWS::ApiGateway::RestApi', 'IngestApi');
    expectResourceProperties(template, 'AWS::WAFv2::WebACLAssociation', {
      WebACLArn: {
        'Fn::GetAtt': [logicalIdStartingWith(template, 'AWS::WAFv2::WebACL', 'IngestApiWaf'), 'Arn'],
      },
      ResourceArn: {
        'Fn::Join': ['', Match.arrayWith([{ Ref: apiId }, '/stages/', { Ref: stageId }])],
      },
    });
  });

  it("names the WAF log group after the stack's own id and deletes it with the stack, so a redeploy or WAF off-and-on never meets a kept group", () => {
    expectResource(switchesOn.template, 'AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: {
          'Fn::Join': [
            '',
            [
              `aws-waf-logs-HealthLakeConnector-${switchesOn.config.connectorId}-`,
              { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
            ],
          ],
        },
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  it('keeps every other log group, whose name CloudFormation generates, when the stack goes', () => {
    const groups = Object.entries(resourcesOf(switchesOn.template, 'AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThan(8);
    const policies = groups.map(([id, group]) => ({ id, policy: group.DeletionPolicy }));
    expect(policies).toEqual(
      groups.map(([id, group]) => ({
        id,
        policy: group.Properties?.LogGroupName === undefined ? 'Retain' : 'Delete',
      })),
    );
  });

  it('denies requests from outside the allowed ranges; bearer mode allows any caller inside them', () => {
    expectResourceProperties(switchesOn.template, 'AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          Match.objectLike({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'execute-api:Invoke' }),
          Match.objectLike({
            Effect: 'Deny',
            Action: 'execute-api:Invoke',
            Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } },
          }),
        ],
      },
    });
  });

  it('in IAM mode allows only principals of the connector account (never other accounts)', () => {
    const [api] = Object.values(resourcesOf(sameAccount.template, 'AWS::ApiGateway::RestApi'));
    const [allow] = (
      api?.Properties?.Policy as { Statement: PolicyStatementJson[] & { Principal: unknown }[] }
    ).Statement;
    expect(JSON.stringify(allow)).toContain(':iam::111111111111:root');
    expect(JSON.stringify(allow)).not.toContain('"AWS":"*"');
  });
});

describe('Customer-managed key on the data store', () => {
  const expectKeyStatements = (statements: PolicyStatementJson[], keyArn: string) => {
    // (Reconcile's read statements, ReadWith..., are checked in reconcileStack.test.ts.)
    const onKey = statements.filter(
      (statement) => statement.Resource === keyArn && !statement.Sid?.startsWith('ReadWith'),
    );
    expect(onKey.flatMap(actionsOf).sort()).toEqual([
      'kms:CreateGrant',
      'kms:DescribeKey',
      'kms:GenerateDataKey',
    ]);
    for (const statement of onKey) {
      expect(statement.Condition?.StringEquals).toEqual({
        'kms:ViaService': 'healthlake.us-east-1.amazonaws.com',
      });
    }
    const grant = onKey.find((statement) => actionsOf(statement).includes('kms:CreateGrant'));
    expect(grant?.Condition?.Bool).toEqual({ 'kms:GrantIsForAWSResource': 'true' });
  };

  it('lets the customer role describe the key, generate data keys and create grants through HealthLake', () => {
    const customer = switchesOn.built.customerAccess;
    if (customer === undefined) throw new Error('cross-account');
    expectKeyStatements(
      identityStatements(Template.fromStack(customer)).map(({ statement }) => statement),
      KEY_ARN,
    );
  });

  it('in same-account mode grants exactly that to the deliverer', () => {
    expectKeyStatements(
      statementsOfRole(sameAccount.template, 'DelivererFunctionServiceRole'),
      SAME_ACCOUNT_KEY_ARN,
    );
  });
});

describe('Delivery paused by configuration (delivery.paused)', () => {
  it('deploys the deliverer’s event source mapping disabled and tags it with that position', () => {
    expectResourceProperties(switchesOn.template, 'AWS::Lambda::EventSourceMapping', {
      EventSourceArn: {
        'Fn::GetAtt': [logicalIdStartingWith(switchesOn.template, 'AWS::SQS::Queue', 'DeliveryQueue'), 'Arn'],
      },
      Enabled: false,
      Tags: [{ Key: DELIVERY_DEPLOYED_STATE_TAG, Value: 'paused' }],
    });
    // Backfill and reconcile keep running.
    for (const prefix of ['BackfillQueue', 'ReconcileQueue']) {
      expectResourceProperties(switchesOn.template, 'AWS::Lambda::EventSourceMapping', {
        EventSourceArn: {
          'Fn::GetAtt': [logicalIdStartingWith(switchesOn.template, 'AWS::SQS::Queue', prefix), 'Arn'],
        },
        Enabled: Match.absent(),
      });
    }
  });
});

describe('Log level from the configuration', () => {
  it('sets POWERTOOLS_LOG_LEVEL and the Lambda application log level of every connector function', () => {
    for (const [built, level] of [
      [defaults, 'INFO'],
      [switchesOn, 'DEBUG'],
    ] as const) {
      const functions = Object.values(resourcesOf(built.template, 'AWS::Lambda::Function')).filter(
        (fn) =>
          (fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables
            ?.POWERTOOLS_SERVICE_NAME !== undefined,
      );
      expect(functions).toHaveLength(built === switchesOn ? 5 : 4);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({
          LoggingConfig: { ApplicationLogLevel: level },
          Environment: { Variables: { POWERTOOLS_LOG_LEVEL: level } },
        });
      }
    }
  });
});

describe('cdk-nag with every deploy switch on', () => {
  it.each([
    ['cross-account, bearer', () => switchesOn],
    ['same account, IAM', () => sameAccount],
  ] as const)('reports zero unacknowledged findings (%s)', (_name, get) => {
    expect(unacknowledgedNagFindings(get().built)).toEqual([]);
  });
});

describe('README deployment guide', () => {
  const readme = readFileSync(resolve(repoRoot, 'README.md'), 'utf8');

  it('lists exactly the stack outputs the stack creates, and each log-group output names a group of the stack', () => {
    const paragraph = /The stack outputs are ([\s\S]*?)\. If you set/.exec(readme)?.[1] ?? '';
    const documented = [...paragraph.matchAll(/`(\w+)`/g)].map((match) => match[1] as string).sort();
    const outputs = switchesOn.template.toJSON() as { Outputs: Record<string, { Value: unknown }> };
    // RestApi adds its own `Endpoint` output (the same URL as IngestApiUrl).
    const created = Object.keys(outputs.Outputs).filter((name) => !name.startsWith('IngestApiEndpoint'));
    expect(documented).toEqual(created.sort());
    const groups = Object.keys(resourcesOf(switchesOn.template, 'AWS::Logs::LogGroup'));
    const logOutputs = Object.entries(outputs.Outputs).filter(([name]) => name.endsWith('LogGroupName'));
    expect(logOutputs).toHaveLength(8);
    for (const [, output] of logOutputs) {
      expect(groups).toContain((output.Value as { Ref: string }).Ref);
    }
  });

  it('gives the names the stack creates for the dashboard, the API and the WAF log group', () => {
    const { config, template } = switchesOn;
    const fill = (text: string) =>
      text.replace('{connectorId}', config.connectorId).replace('{region}', config.region);
    const dashboard = /Dashboard `(HealthLakeConnector-\{connectorId\}-\{region\})`/.exec(readme)?.[1];
    expectResourceProperties(template, 'AWS::CloudWatch::Dashboard', {
      DashboardName: fill(dashboard ?? ''),
    });
    const api = /REST API is named\s+`([^`]+)`/.exec(readme)?.[1];
    expectResourceProperties(template, 'AWS::ApiGateway::RestApi', { Name: fill(api ?? '') });
    const waf = /`(aws-waf-logs-[^`]+)-\{stack id\}`/.exec(readme)?.[1];
    expectResourceProperties(template, 'AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', [`${fill(waf ?? '')}-`, Match.anyValue()]] },
    });
    // Function log groups have generated names: the README must not promise /aws/lambda/... names.
    expect(readme).not.toContain('/aws/lambda/');
  });

  it('redrives with start-message-move-task naming the delivery queue (dead letters the deliverer sent have no source queue)', () => {
    const command = /aws sqs start-message-move-task [^`]*/.exec(readme)?.[0] ?? '';
    expect(command).toContain('--source-arn {DeliveryDeadLetterQueueArn}');
    expect(command).toContain('--destination-arn {DeliveryQueueArn}');
    const outputs = switchesOn.template.toJSON() as { Outputs: Record<string, { Value: unknown }> };
    expect(outputs.Outputs.DeliveryDeadLetterQueueArn?.Value).toEqual({
      'Fn::GetAtt': [
        logicalIdStartingWith(switchesOn.template, 'AWS::SQS::Queue', 'DeliveryDeadLetterQueue'),
        'Arn',
      ],
    });
    expect(outputs.Outputs.DeliveryQueueArn?.Value).toEqual({
      'Fn::GetAtt': [logicalIdStartingWith(switchesOn.template, 'AWS::SQS::Queue', 'DeliveryQueue'), 'Arn'],
    });
  });

  it('asks the first deploy to check what only a real account shows', () => {
    const checklist = readme.slice(readme.indexOf('### Verify on first deploy'));
    for (const check of [
      'aws cloudwatch set-alarm-state',
      'subscription-payload-search-criteria',
      'an update and a delete',
      'aws lambda get-account-settings',
      'new accounts can start at 10',
      'healthlake:GetCapabilities',
      'Access denied; retrying while IAM propagates the new role',
      'healthlake-connector:delivery',
      '`aws-us-gov` or `aws-cn`',
    ]) {
      expect(checklist).toContain(check);
    }
  });
});
