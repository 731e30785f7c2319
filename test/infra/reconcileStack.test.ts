import { Template } from 'aws-cdk-lib/assertions';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reconcileRoleName } from '../../infra/stacks/HealthLakeConnectorStack.js';
import { RECONCILE_ENV } from '../../shared/reconcile/constants.js';
import { buildTestApp } from './connectorAppFixture.js';
import { actionsOf, identityStatements, resourcesOf } from './templateQueries.js';

const READS = ['healthlake:ReadResource', 'healthlake:SearchWithGet'];

const build = (enabled: boolean) => {
  const { app, built, config } = buildTestApp(
    enabled ? { reconcile: { enabled: true, healthLakeRequestsPerSecond: 10 } } : {},
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

const readStatements = (template: Template) =>
  identityStatements(template).filter(({ statement }) => actionsOf(statement).some((a) => READS.includes(a)));

describe('Reconcile infrastructure', () => {
  it('grants no HealthLake read anywhere and creates no reconcile worker while reconcile is off', () => {
    const { connector, customer, cleanup } = build(false);
    try {
      expect(readStatements(customer)).toEqual([]);
      expect(readStatements(connector).filter(({ policyId }) => policyId.startsWith('Reconcile'))).toEqual(
        [],
      );
      const functions = Object.values(resourcesOf(connector, 'AWS::Lambda::Function'));
      expect(
        functions.some((fn) =>
          Object.keys((fn.Properties?.Environment as { Variables?: object })?.Variables ?? {}).includes(
            RECONCILE_ENV.pageSize,
          ),
        ),
      ).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('when enabled: the customer role trusts the reconcile role and allows ReadResource and SearchWithGet on the data store only; cdk-nag stays clean', () => {
    const { config, built, connector, customer, cleanup } = build(true);
    try {
      const reads = readStatements(customer).map(({ statement }) => statement);
      expect(reads).toEqual([
        {
          Sid: 'ReadHealthLakeDataStoresForReconcile',
          Effect: 'Allow',
          Action: READS,
          Resource: config.dataStores.map((store) => store.arn)[0],
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

      for (const pack of built.nagPacks) {
        for (const stack of [built.connector, built.customerAccess!]) {
          const report = pack.validateScope(stack);
          expect(
            report.violations.map((violation) => ({
              rule: violation.ruleName,
              at: violation.violatingResources.map((resource) => resource.constructPath),
            })),
          ).toEqual([]);
        }
      }
    } finally {
      cleanup();
    }
  });
});
