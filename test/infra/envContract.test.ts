import { rmSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorConfigInput } from '../../infra/config/schema.js';
import type { HealthLakeConnectorStack } from '../../infra/stacks/HealthLakeConnectorStack.js';
import { backfillWorkerHandlerFromEnv } from '../../lambdas/backfill-worker/backfillWorkerHandlerFromEnv.js';
import { delivererHandlerFromEnv } from '../../lambdas/deliverer/delivererHandlerFromEnv.js';
import { ingestHandlerFromEnv } from '../../lambdas/ingest/ingestHandlerFromEnv.js';
import { notificationCheckHandlerFromEnv } from '../../lambdas/notification-check/notificationCheckHandlerFromEnv.js';
import { reconcileWorkerHandlerFromEnv } from '../../lambdas/reconcile-worker/reconcileWorkerHandlerFromEnv.js';
import { subscriptionProvisionerHandlerFromEnv } from '../../lambdas/subscription-provisioner/subscriptionProvisionerHandlerFromEnv.js';
import { PLATFORM_VARIABLES, type EnvContract } from '../../shared/config/envVar.js';
import { FUNCTION_CONTRACTS } from '../../shared/runtime/functionContracts.js';
import type { RuntimeSinks } from '../../shared/runtime/runtimeSinks.js';
import { buildTestApp } from './connectorAppFixture.js';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const STORE = '0123456789abcdef0123456789abcdef';
const SOURCE_STORE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const SECRET = { arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:hlc/source-AbCdEf` };
const sameAccount = {
  endpoint: `https://healthlake.${REGION}.amazonaws.com/datastore/${STORE}/r4/`,
  access: { mode: 'sameAccount' },
} as const;

const sigv4Source = {
  baseUrl: `https://healthlake.${REGION}.amazonaws.com/datastore/${SOURCE_STORE}/r4/`,
  auth: 'sigv4',
  sigv4: { service: 'healthlake', region: 'us-west-2' },
  pageSize: 50,
  requestsPerSecond: 20,
} as const;

/**
 * The configurations synthesized: one line each (overrides of connector.config.example.json, which is
 * bearer ingest, cross-account, a bearer source and the auto-managed subscription on).
 */
const CONFIGURATIONS: Record<string, Partial<ConnectorConfigInput>> = {
  'bearer ingest, cross-account, bearer source (the example)': {},
  'iam ingest, same account, sigv4 source with options, no auto-subscription': {
    ingest: {
      authMode: 'iam',
      publicBaseUrl: 'https://fhir.example.org/r4',
      adminPrincipalArns: ['arn:aws:iam::111111111111:role/operators'],
    },
    healthLake: sameAccount,
    autoSubscription: { enabled: false },
    sourceFhir: sigv4Source,
  },
  'source without authentication': {
    sourceFhir: { baseUrl: 'https://fhir.example.org/fhir/', auth: 'none' },
  },
  'basic source': {
    sourceFhir: { baseUrl: 'https://fhir.example.org/fhir/', auth: 'basic', secret: SECRET },
  },
  'reconcile on, basic source over mutual TLS, with a response cap': {
    reconcile: { enabled: true },
    sourceFhir: {
      baseUrl: 'https://fhir.example.org/fhir/',
      auth: 'basic',
      secret: SECRET,
      tls: { secret: { name: 'hlc/source-tls' } },
      maxResponseBytes: 1_048_576,
    },
  },
  'oauth2 source, same account': {
    healthLake: sameAccount,
    sourceFhir: { baseUrl: 'https://fhir.example.org/fhir/', auth: 'oauth2', secret: SECRET },
  },
  'reconcile on (cross-account, bearer source)': { reconcile: { enabled: true } },
  'Smile migration: two HealthLake modules, transforms, a larger Bundle quota': {
    healthLake: {
      ...sameAccount,
      additionalAllowedEndpoints: [
        `https://healthlake.${REGION}.amazonaws.com/datastore/${SOURCE_STORE}/r4/`,
      ],
      maxBundleEntries: 500,
      moduleEndpoints: {
        cdr_a: sameAccount.endpoint,
        cdr_b: `https://healthlake.${REGION}.amazonaws.com/datastore/${SOURCE_STORE}/r4/`,
      },
    },
    delivery: { transforms: { mask: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:mask-phone` } },
  },
  'reconcile on, same account, sigv4 source with options': {
    reconcile: { enabled: true, pageSize: 200 },
    healthLake: sameAccount,
    sourceFhir: sigv4Source,
  },
  'backport notifications from two source Subscriptions, reconcile on': {
    reconcile: { enabled: true },
    notifications: {
      sources: [
        { subscription: 'admissions', resourceTypes: ['Encounter', 'Patient'], heartbeatPeriodSeconds: 60 },
        { subscription: 'labs', events: true },
      ],
      allowedOrigins: ['https://fhir.example.org'],
      heartbeatToleranceSeconds: 30,
      checkIntervalMinutes: 5,
    },
  },
};

type FunctionName = keyof typeof FUNCTION_CONTRACTS;
type Factory = (env: NodeJS.ProcessEnv, sinks: RuntimeSinks) => { destroy(): void };

/** Each function: where the stack keeps it, and the factory its handler is built with. */
const FUNCTIONS: Record<
  FunctionName,
  { of: (stack: HealthLakeConnectorStack) => lambda.Function | undefined; fromEnv: Factory }
> = {
  ingest: { of: (stack) => stack.ingest, fromEnv: ingestHandlerFromEnv },
  deliverer: { of: (stack) => stack.deliverer.function, fromEnv: delivererHandlerFromEnv },
  backfillWorker: { of: (stack) => stack.backfill.worker, fromEnv: backfillWorkerHandlerFromEnv },
  reconcileWorker: { of: (stack) => stack.reconcile?.worker, fromEnv: reconcileWorkerHandlerFromEnv },
  subscriptionProvisioner: {
    of: (stack) => stack.autoSubscription?.function,
    fromEnv: subscriptionProvisionerHandlerFromEnv,
  },
  notificationCheck: {
    of: (stack) => stack.notificationCheck?.function,
    fromEnv: notificationCheckHandlerFromEnv,
  },
};

/** What Lambda's runtime adds to every function's environment. */
const LAMBDA_RUNTIME = {
  AWS_REGION: REGION,
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'example-secret',
  AWS_SESSION_TOKEN: 'example-session',
};

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** A plausible deployed value for a CloudFormation token (queue URL, table name, key ARN...). */
const resolveToken = (value: unknown, resources: Record<string, { Type: string }>): string => {
  if (typeof value === 'string') return value;
  const token = value as Record<string, unknown>;
  if (typeof token.Ref === 'string') {
    const pseudo = PSEUDO_PARAMETERS[token.Ref];
    if (pseudo !== undefined) return pseudo;
    const type = resources[token.Ref]?.Type;
    if (type === 'AWS::SQS::Queue') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${token.Ref}`;
    return token.Ref.toLowerCase();
  }
  if (Array.isArray(token['Fn::GetAtt'])) {
    const [id, attribute] = token['Fn::GetAtt'] as [string, string];
    const service = resources[id]?.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
    if (attribute === 'Arn') return `arn:aws:${service}:${REGION}:${ACCOUNT}:${service}/${id}`;
    if (attribute === 'QueueUrl') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
    return `${id}-${attribute}`.toLowerCase();
  }
  if (Array.isArray(token['Fn::Join'])) {
    const [separator, parts] = token['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveToken(part, resources)).join(separator);
  }
  throw new Error(`No plausible value for the token ${JSON.stringify(value)}`);
};

/** An environment that records every variable name read from it. */
const recording = (variables: Record<string, string>): { env: NodeJS.ProcessEnv; read: Set<string> } => {
  const read = new Set<string>();
  const env = new Proxy(variables as NodeJS.ProcessEnv, {
    get: (target, name) => {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  return { env, read };
};

const silentSinks = (): RuntimeSinks => ({
  logger: new Logger({ logLevel: 'SILENT' }),
  metrics: new Metrics({ namespace: 'ContractTest', serviceName: 'contract' }),
});

/** Names each function's stack environment set, and its factory read, over every configuration. */
const setAnywhere = new Map<FunctionName, Set<string>>();
const readAnywhere = new Map<FunctionName, Set<string>>();
const addTo = (map: Map<FunctionName, Set<string>>, name: FunctionName, names: Iterable<string>) => {
  const set = map.get(name) ?? new Set<string>();
  for (const item of names) set.add(item);
  map.set(name, set);
};

const declaredNames = (contract: EnvContract, origin?: string): string[] =>
  Object.values(contract)
    .filter((spec) => origin === undefined || spec.origin === origin)
    .map((spec) => spec.name);

describe.each(Object.entries(CONFIGURATIONS))('Contract: the stack environment of "%s"', (_, overrides) => {
  let cleanup: () => void;
  let environments: Partial<Record<FunctionName, Record<string, string>>>;

  beforeAll(() => {
    const { app, built } = buildTestApp(overrides, { bundle: false });
    cleanup = () => rmSync(app.outdir, { recursive: true, force: true });
    const stack = built.connector;
    const template = app.synth().getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    environments = {};
    for (const [name, { of }] of Object.entries(FUNCTIONS) as [
      FunctionName,
      (typeof FUNCTIONS)[FunctionName],
    ][]) {
      const fn = of(stack);
      if (!fn) continue;
      const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
      const properties = template.Resources[logicalId]?.Properties as {
        Environment?: { Variables?: Record<string, unknown> };
      };
      const variables = properties.Environment?.Variables ?? {};
      environments[name] = Object.fromEntries(
        Object.entries(variables).map(([key, value]) => [key, resolveToken(value, template.Resources)]),
      );
    }
  });

  afterAll(() => cleanup?.());

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    'builds %s with its FromEnv factory, which reads every variable the stack set',
    (name) => {
      const variables = environments[name];
      if (!variables) return; // not deployed in this configuration (the provisioner without auto-subscription, reconcile off)
      const given = Object.keys(variables).filter((key) => !PLATFORM_VARIABLES.includes(key));
      const { env, read } = recording({ ...variables, ...LAMBDA_RUNTIME });
      const handler = FUNCTIONS[name].fromEnv(env, silentSinks());
      handler.destroy();
      addTo(setAnywhere, name, given);
      addTo(readAnywhere, name, read);
      expect(
        given.filter((key) => !read.has(key)),
        'set by the stack but never read',
      ).toEqual([]);
      const local = declaredNames(FUNCTION_CONTRACTS[name], 'local');
      expect(
        given.filter((key) => local.includes(key)),
        'local-only variables the stack set',
      ).toEqual([]);
      const declared = declaredNames(FUNCTION_CONTRACTS[name]);
      expect(
        [...read].filter((key) => !declared.includes(key)),
        'read outside the contract',
      ).toEqual([]);
    },
  );
});

describe('Contract: across every configuration', () => {
  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    '%s reads no stack variable that no configuration sets',
    (name) => {
      const set = setAnywhere.get(name) ?? new Set<string>();
      const read = readAnywhere.get(name) ?? new Set<string>();
      expect(read.size, 'the factory ran').toBeGreaterThan(0);
      const stackVariables = declaredNames(FUNCTION_CONTRACTS[name], 'stack');
      expect(
        stackVariables.filter((key) => read.has(key) && !set.has(key)),
        'read but never set by the stack',
      ).toEqual([]);
    },
  );
});
