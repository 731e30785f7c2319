import { rmSync } from 'node:fs';
import type { App } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorApp } from '../../infra/buildConnectorApp.js';
import { InvalidConfigurationError } from '../../infra/config/errors.js';
import { parseConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import type { ConnectorConfigInput } from '../../infra/config/schema.js';
import { ENV } from '../../shared/config/constants.js';
import { buildTestApp, exampleConfigInput } from './connectorAppFixture.js';
import { actionsOf, identityStatements, resourcesOf } from './templateQueries.js';

const STORE_A = 'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/';
const STORE_B = 'https://healthlake.us-east-1.amazonaws.com/datastore/fedcba9876543210fedcba9876543210/r4/';
const MASK = 'arn:aws:lambda:us-east-1:111111111111:function:mask-phone';
const DROP = 'arn:aws:lambda:us-east-1:111111111111:function:drop-tests:live';

/** A Smile migration: two HealthLake modules, two transforms, a larger Bundle quota. */
const MIGRATION: Partial<ConnectorConfigInput> = {
  healthLake: {
    ...exampleConfigInput().healthLake,
    endpoint: STORE_A,
    additionalAllowedEndpoints: [STORE_B],
    maxBundleEntries: 500,
    moduleEndpoints: { cdr_a: STORE_A, cdr_b: STORE_B.slice(0, -1) },
  },
  delivery: { transforms: { mask: MASK, drop: DROP }, transformTimeoutSeconds: 8 },
};

const problemsOf = (overrides: Record<string, unknown>): readonly string[] => {
  try {
    parseConnectorConfig({ ...exampleConfigInput(), ...overrides }, 'test');
  } catch (error) {
    if (error instanceof InvalidConfigurationError) return error.problems;
    throw error;
  }
  return [];
};

describe('Configuration of a Smile CDR migration', () => {
  it('defaults to 160 Bundle entries, 20 retries, no module routing and no transforms', () => {
    const config = parseConnectorConfig(exampleConfigInput());
    expect(config.healthLake.maxBundleEntries).toBe(160);
    expect(config.healthLake.moduleEndpoints).toEqual({});
    expect(config.delivery).toMatchObject({ retryCount: 20, transforms: {}, transformTimeoutSeconds: 5 });
  });

  it('lists every problem: a module on a data store not allowed, a bad ARN or name, an out-of-range quota', () => {
    const healthLake = exampleConfigInput().healthLake;
    expect(
      problemsOf({
        healthLake: {
          ...healthLake,
          maxBundleEntries: 1001,
          moduleEndpoints: { 'bad id!': STORE_A, cdr_b: STORE_B },
        },
        delivery: {
          transforms: { mask: 'https://example.org/mask', 'no/slash': MASK },
          transformTimeoutSeconds: 0,
        },
      }),
    ).toEqual([
      expect.stringMatching(/^healthLake\.maxBundleEntries: must be at most 1000/),
      expect.stringMatching(/^healthLake\.moduleEndpoints\.bad id!: module ids are/),
      expect.stringMatching(/^delivery\.transforms\.mask: must be a Lambda function ARN/),
      expect.stringMatching(/^delivery\.transforms\.no\/slash: transform names are/),
      expect.stringMatching(/^delivery\.transformTimeoutSeconds: must be at least 1/),
    ]);
    expect(problemsOf({ healthLake: { ...healthLake, moduleEndpoints: { cdr_b: STORE_B } } })).toEqual([
      'healthLake.moduleEndpoints: each module must map to healthLake.endpoint or one of healthLake.additionalAllowedEndpoints',
    ]);
  });
});

describe('Stack of a Smile CDR migration', () => {
  let app: App;
  let built: ConnectorApp;
  let template: Template;
  const variablesOf = (fn: lambda.Function): Record<string, unknown> => {
    const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    const properties = resourcesOf(template, 'AWS::Lambda::Function')[logicalId]?.Properties as {
      Environment?: { Variables?: Record<string, unknown> };
    };
    return properties.Environment?.Variables ?? {};
  };

  beforeAll(() => {
    ({ app, built } = buildTestApp(MIGRATION, { bundle: false }));
    template = Template.fromStack(built.connector);
  });
  afterAll(() => rmSync(app.outdir, { recursive: true, force: true }));

  it('lets the deliverer invoke exactly the allow-listed transform functions, and nothing else of Lambda', () => {
    // The deliverer's own policy (the custom resource provider invokes its handler, not a transform).
    const invokes = identityStatements(template)
      .filter(({ policyId }) => policyId.startsWith('DelivererFunction'))
      .map(({ statement }) => statement)
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('lambda:Invoke')));
    expect(invokes).toEqual([
      expect.objectContaining({
        Sid: 'InvokeDeliveryTransforms',
        Action: 'lambda:InvokeFunction',
        Resource: expect.toSatisfy(
          (arns: string[]) => [...arns].sort().join() === [DROP, MASK].sort().join(),
        ),
      }),
    ]);
  });

  it('writes the transforms, their time limit and the Bundle quota to the deliverer', () => {
    expect(variablesOf(built.connector.deliverer.function)).toMatchObject({
      [ENV.deliveryTransforms]: `mask=${MASK},drop=${DROP}`,
      [ENV.deliveryTransformTimeoutMs]: '8000',
      [ENV.healthLakeMaxBundleEntries]: '500',
    });
  });

  it('writes the module routing, the transform names and the source to ingest', () => {
    expect(variablesOf(built.connector.ingest)).toMatchObject({
      [ENV.healthLakeModuleEndpoints]: `cdr_a=${STORE_A},cdr_b=${STORE_B}`,
      [ENV.deliveryTransforms]: `mask=${MASK},drop=${DROP}`,
      [ENV.sourceFhirBaseUrl]: exampleConfigInput().sourceFhir?.baseUrl,
    });
  });

  it('writes none of it for a configuration without modules or transforms', () => {
    const plain = buildTestApp({}, { bundle: false });
    try {
      const resources = Template.fromStack(plain.built.connector).toJSON() as {
        Resources: Record<string, { Properties?: { Environment?: { Variables?: Record<string, unknown> } } }>;
      };
      const written = Object.values(resources.Resources).flatMap((resource) =>
        Object.keys(resource.Properties?.Environment?.Variables ?? {}),
      );
      expect(written).not.toContain(ENV.deliveryTransforms);
      expect(written).not.toContain(ENV.healthLakeModuleEndpoints);
      expect(JSON.stringify(resources)).not.toContain('InvokeDeliveryTransforms');
    } finally {
      rmSync(plain.app.outdir, { recursive: true, force: true });
    }
  });
});
