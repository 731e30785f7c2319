import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { connectorNames } from './config/connectorNames.js';
import { InvalidConfigurationError } from './config/errors.js';
import type { ConnectorConfig } from './config/parseConnectorConfig.js';
import { deployLimitProblems } from './limits/deployLimitProblems.js';
import { CustomerAccessStack } from './stacks/CustomerAccessStack.js';
import {
  delivererRoleName,
  reconcileRoleName,
  HealthLakeConnectorStack,
  type ConnectorEntryPoints,
} from './stacks/HealthLakeConnectorStack.js';

export interface ConnectorApp {
  readonly connector: HealthLakeConnectorStack;
  /** Present in cross-account mode: deploy it to the customer's account. */
  readonly customerAccess?: CustomerAccessStack;
  /** The rule packs registered on the app (tests call `validateScope` on them). */
  readonly nagPacks: readonly (AwsSolutionsChecks | HIPAASecurityChecks)[];
}

/** `arn:{partition}:iam::{account}:role/{path/}{name}` split into the Role construct's `roleName` and `path`. */
const roleNameAndPath = (roleArn: string): { roleName: string; rolePath?: string } => {
  const resource = roleArn.slice(roleArn.indexOf(':role/') + ':role/'.length);
  const slash = resource.lastIndexOf('/');
  return slash < 0
    ? { roleName: resource }
    : { roleName: resource.slice(slash + 1), rolePath: `/${resource.slice(0, slash + 1)}` };
};

/**
 * Instantiates the stacks for one validated configuration and registers the cdk-nag packs
 * (AwsSolutions, HIPAA Security) as CDK policy-validation plugins. Throws InvalidConfigurationError,
 * one line per problem, when the synthesized stack would pass a limit AWS checks only at deploy time.
 */
export const buildConnectorApp = (
  app: App,
  config: ConnectorConfig,
  options: { readonly entryPoints?: ConnectorEntryPoints } = {},
): ConnectorApp => {
  const names = connectorNames(config);
  const connector = new HealthLakeConnectorStack(app, names.stack, {
    config,
    env: { account: config.account, region: config.region },
    ...(options.entryPoints === undefined ? {} : { entryPoints: options.entryPoints }),
  });
  let customerAccess: CustomerAccessStack | undefined;
  const access = config.healthLake.access;
  if (access.mode === 'crossAccount') {
    customerAccess = new CustomerAccessStack(app, names.customerAccessStack, {
      env: { account: config.dataStoreAccount, region: config.dataStore.region },
      connectorAccount: config.account,
      delivererRoleName: delivererRoleName(config),
      ...(config.reconcile.enabled ? { reconcileRoleName: reconcileRoleName(config) } : {}),
      externalId: access.externalId,
      dataStores: config.dataStores,
      ...roleNameAndPath(access.roleArn),
    });
  }
  const limitProblems = deployLimitProblems(connector);
  if (limitProblems.length > 0) throw new InvalidConfigurationError('as synthesized', limitProblems);
  const nagPacks = [new AwsSolutionsChecks(app), new HIPAASecurityChecks(app)] as const;
  Validations.of(app).addPlugins(...nagPacks);
  return { connector, nagPacks, ...(customerAccess === undefined ? {} : { customerAccess }) };
};
