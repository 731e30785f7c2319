import { rmSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorConfigInput } from '../../infra/config/schema.js';
import { buildTestApp, configProblemsOf, exampleConfigInput } from './connectorAppFixture.js';
import {
  actionsOf,
  identityStatements,
  logicalIdStartingWith,
  resourcesOf,
  type PolicyStatementJson,
  unacknowledgedNagFindings,
} from './templateQueries.js';

// Data stores in two regions, each with its own key (configured per endpoint), one without a key, and an
// encrypted HealthLake source read with SigV4.
const STORE = {
  primary: '0123456789abcdef0123456789abcdef',
  london: 'fedcba9876543210fedcba9876543210',
  second: '11111111111111111111111111111111',
  plain: '22222222222222222222222222222222',
  source: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
};
const endpointOf = (region: string, id: string) =>
  `https://healthlake.${region}.amazonaws.com/datastore/${id}/r4/`;
const keyOf = (region: string, account: string, n: number) =>
  `arn:aws:kms:${region}:${account}:key/${String(n).repeat(8)}-2222-3333-4444-555555555555`;

const healthLake = (access: ConnectorConfigInput['healthLake']['access'], account: string) => ({
  endpoint: endpointOf('us-east-1', STORE.primary),
  access,
  datastoreKmsKeyArn: keyOf('us-east-1', account, 1),
  additionalAllowedEndpoints: [
    { endpoint: endpointOf('eu-west-2', STORE.london), datastoreKmsKeyArn: keyOf('eu-west-2', account, 2) },
    { endpoint: endpointOf('us-east-1', STORE.second), datastoreKmsKeyArn: keyOf('us-east-1', account, 3) },
    endpointOf('us-east-1', STORE.plain),
  ],
});
const SOURCE_KEY = keyOf('ap-southeast-2', '111111111111', 4);
const source = {
  baseUrl: endpointOf('ap-southeast-2', STORE.source),
  auth: 'sigv4' as const,
  datastoreKmsKeyArn: SOURCE_KEY,
};

let sameAccount: ReturnType<typeof buildTestApp>;
let crossAccount: ReturnType<typeof buildTestApp>;
/** The same-account connector stack and the cross-account customer stack, synthesized once. */
let connector: Template;
let customerStack: Template;

beforeAll(() => {
  const example = exampleConfigInput();
  sameAccount = buildTestApp(
    {
      healthLake: healthLake({ mode: 'sameAccount' }, '111111111111'),
      sourceFhir: source,
      reconcile: { enabled: true },
    },
    { bundle: false },
  );
  crossAccount = buildTestApp(
    { healthLake: healthLake(example.healthLake.access, '222222222222'), reconcile: { enabled: true } },
    { bundle: false },
  );
  connector = Template.fromStack(sameAccount.built.connector);
  if (crossAccount.built.customerAccess === undefined) throw new Error('cross-account');
  customerStack = Template.fromStack(crossAccount.built.customerAccess);
}, 120_000);

afterAll(() => {
  for (const { app } of [sameAccount, crossAccount]) rmSync(app.outdir, { recursive: true, force: true });
});

/** Statements of the policies attached to the role whose logical id starts with `rolePrefix`. */
const statementsOfRole = (template: Template, rolePrefix: string): PolicyStatementJson[] => {
  const roleId = logicalIdStartingWith(template, 'AWS::IAM::Role', rolePrefix);
  const policies = resourcesOf(template, 'AWS::IAM::Policy');
  return identityStatements(template)
    .filter(({ policyId }) => JSON.stringify(policies[policyId]?.Properties?.Roles).includes(`"${roleId}"`))
    .map(({ statement }) => statement);
};

const kmsStatements = (statements: PolicyStatementJson[]) =>
  statements.filter(
    (statement) => actionsOf(statement).some((action) => action.startsWith('kms:')) && statement.Sid,
  );

const via = (region: string) => ({ 'kms:ViaService': `healthlake.${region}.amazonaws.com` });

/** One statement on keys of one region, only through HealthLake there. */
const onKeys = (
  sid: string,
  action: string | string[],
  region: string,
  keys: string[],
  extraCondition: Record<string, Record<string, string>> = {},
): PolicyStatementJson => ({
  Sid: sid,
  Effect: 'Allow',
  Action: action,
  Resource: keys.length === 1 ? keys[0] : keys,
  Condition: { StringEquals: via(region), ...extraCondition },
});

/** The keys of the configuration above, by region. */
const keysByRegion = (account: string): [region: string, suffix: string, keys: string[]][] => [
  ['us-east-1', 'UsEast1', [keyOf('us-east-1', account, 1), keyOf('us-east-1', account, 3)]],
  ['eu-west-2', 'EuWest2', [keyOf('eu-west-2', account, 2)]],
];

/** The write statements every data store key gets: one pair per region, that region's ViaService. */
const writeStatements = (account: string): PolicyStatementJson[] =>
  keysByRegion(account).flatMap(([region, suffix, keys]) => [
    onKeys(`UseHealthLakeDataStoreKeys${suffix}`, ['kms:DescribeKey', 'kms:GenerateDataKey'], region, keys),
    onKeys(`GrantHealthLakeDataStoreKeys${suffix}`, 'kms:CreateGrant', region, keys, {
      Bool: { 'kms:GrantIsForAWSResource': 'true' },
    }),
  ]);

const readStatements = (account: string): PolicyStatementJson[] =>
  keysByRegion(account).map(([region, suffix, keys]) =>
    onKeys(`ReadWithHealthLakeDataStoreKeys${suffix}`, ['kms:Decrypt', 'kms:DescribeKey'], region, keys),
  );

const sourceKeyStatement = onKeys(
  'ReadSourceDataStoreKeyApSoutheast2',
  ['kms:Decrypt', 'kms:DescribeKey'],
  'ap-southeast-2',
  [SOURCE_KEY],
);

describe('Each data store with its own customer-managed key', () => {
  it('gives the deliverer (same account) each key through HealthLake in its own region', () => {
    expect(kmsStatements(statementsOfRole(connector, 'DelivererFunctionServiceRole'))).toEqual([
      ...writeStatements('111111111111'),
      // Payload searches read the encrypted source.
      sourceKeyStatement,
    ]);
  });

  it('gives the reconcile worker (same account) decrypt on each key, per region, and on the source key', () => {
    expect(kmsStatements(statementsOfRole(connector, 'ReconcileWorkerServiceRole'))).toEqual([
      sourceKeyStatement,
      ...readStatements('111111111111'),
    ]);
  });

  it('gives the customer role (cross-account) each key through HealthLake in its own region', () => {
    const statements = identityStatements(customerStack).map(({ statement }) => statement);
    expect(kmsStatements(statements)).toEqual([
      ...writeStatements('222222222222'),
      ...readStatements('222222222222'),
    ]);
    // Every data store, keyed or not, is written in its own region.
    const writes = statements.find((statement) => statement.Sid === 'WriteHealthLakeDataStores');
    expect(writes?.Resource).toEqual(
      [
        `arn:aws:healthlake:eu-west-2:222222222222:datastore/fhir/${STORE.london}`,
        `arn:aws:healthlake:us-east-1:222222222222:datastore/fhir/${STORE.primary}`,
        `arn:aws:healthlake:us-east-1:222222222222:datastore/fhir/${STORE.second}`,
        `arn:aws:healthlake:us-east-1:222222222222:datastore/fhir/${STORE.plain}`,
      ].sort(),
    );
  });

  it('keeps cdk-nag clean with keys in several regions', () => {
    for (const { built } of [sameAccount, crossAccount]) expect(unacknowledgedNagFindings(built)).toEqual([]);
  });

  it('refuses a key outside its data store’s region, and two keys for one data store', () => {
    const example = exampleConfigInput();
    const keyed = (endpoint: string, datastoreKmsKeyArn: string) => ({ endpoint, datastoreKmsKeyArn });
    expect(
      configProblemsOf({
        ...example,
        healthLake: {
          ...example.healthLake,
          datastoreKmsKeyArn: keyOf('us-east-1', '222222222222', 1),
          additionalAllowedEndpoints: [
            keyed(endpointOf('eu-west-2', STORE.london), keyOf('us-east-1', '222222222222', 2)),
            keyed(endpointOf('us-east-1', STORE.primary), keyOf('us-east-1', '222222222222', 5)),
            { endpoint: endpointOf('us-east-1', STORE.plain), kmsKey: 'x' },
          ],
        },
      }),
    ).toEqual([
      expect.stringMatching(
        /^healthLake\.additionalAllowedEndpoints\.0\.datastoreKmsKeyArn: must be a key in the data store's region/,
      ),
      'healthLake.additionalAllowedEndpoints.2: unknown option "kmsKey" (check the spelling)',
      'healthLake.additionalAllowedEndpoints.1.datastoreKmsKeyArn: names a data store listed before with another key (give each data store one key)',
    ]);
  });
});

describe('A SigV4 HealthLake source', () => {
  it('lets its readers read, GET-search and read the capabilities of the source data store, never search with POST', () => {
    const reads = identityStatements(connector).filter(
      ({ statement }) => statement.Sid === 'ReadSourceDataStore',
    );
    expect(reads.map(({ policyId }) => policyId.replace(/ServiceRoleDefaultPolicy.*$/, '')).sort()).toEqual([
      'BackfillWorker',
      'DelivererFunction',
      'ReconcileWorker',
    ]);
    for (const { statement } of reads) {
      expect(statement).toEqual({
        Sid: 'ReadSourceDataStore',
        Effect: 'Allow',
        Action: ['healthlake:GetCapabilities', 'healthlake:ReadResource', 'healthlake:SearchWithGet'],
        Resource: `arn:aws:healthlake:ap-southeast-2:111111111111:datastore/fhir/${STORE.source}`,
      });
    }
    expect(kmsStatements(statementsOfRole(connector, 'BackfillWorkerServiceRole'))).toEqual([
      sourceKeyStatement,
    ]);
  });

  it('takes a source key only for a SigV4 HealthLake source, in its region', () => {
    const example = exampleConfigInput();
    expect(
      configProblemsOf({ ...example, sourceFhir: { ...example.sourceFhir, datastoreKmsKeyArn: SOURCE_KEY } }),
    ).toEqual([
      expect.stringMatching(/^sourceFhir\.datastoreKmsKeyArn: needs auth "sigv4" and a HealthLake baseUrl/),
    ]);
    expect(
      configProblemsOf({
        ...example,
        sourceFhir: { ...source, datastoreKmsKeyArn: keyOf('us-east-1', '111111111111', 4) },
      }),
    ).toEqual([expect.stringMatching(/^sourceFhir\.datastoreKmsKeyArn: .*in that data store's region/)]);
  });
});

describe('Per-data-store monitoring (issue 26)', () => {
  it('draws delivered, throttled and access-denied counts for every data store on the dashboard', () => {
    const [dashboard] = Object.values(resourcesOf(connector, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    for (const title of ['Delivered', 'Throttled', 'AccessDenied']) {
      expect(body).toContain(`${title} per data store (per 5 min)`);
    }
    for (const id of [STORE.primary, STORE.london, STORE.second, STORE.plain]) {
      // One line per data store and count, selected by the DataStore dimension the deliverer emits.
      for (const metric of ['Delivered', 'Throttled', 'AccessDenied']) {
        expect(body).toMatch(
          new RegExp(
            `\\[\\\\"HealthLakeConnector\\\\",\\\\"${metric}\\\\"[^\\]]*\\\\"DataStore\\\\",\\\\"${id}\\\\"`,
          ),
        );
      }
    }
    expect(body).not.toContain(`\\"DataStore\\",\\"${STORE.source}\\"`);
  });

  it('keeps the delivery queue redrive only as a high backstop: attempts are counted per message', () => {
    const queues = Object.values(resourcesOf(connector, 'AWS::SQS::Queue'));
    const redrives = queues.map((queue) => queue.Properties?.RedrivePolicy).filter(Boolean);
    expect(redrives).toContainEqual(expect.objectContaining({ maxReceiveCount: 1000 }));
  });
});
