import type { Template } from 'aws-cdk-lib/assertions';
import type { ConnectorApp } from '../../infra/buildConnectorApp.js';
import type { IConstruct } from 'constructs';
import { Validations } from 'aws-cdk-lib';

/** A CloudFormation resource as the assertions module returns it. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Resources of one type, keyed by logical id. */
export const resourcesOf = (template: Template, type: string): Record<string, CfnResourceJson> =>
  template.findResources(type) as Record<string, CfnResourceJson>;

/** The one logical id whose id starts with `prefix` (fails loudly when absent or ambiguous). */
export const logicalIdStartingWith = (template: Template, type: string, prefix: string): string => {
  const ids = Object.keys(resourcesOf(template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found [${ids.join(', ')}]`);
  return ids[0] as string;
};

/** Every statement of every identity policy (AWS::IAM::Policy and AWS::IAM::ManagedPolicy). */
export const identityStatements = (
  template: Template,
): { readonly policyId: string; readonly statement: PolicyStatementJson }[] =>
  ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].flatMap((type) =>
    Object.entries(resourcesOf(template, type)).flatMap(([policyId, resource]) =>
      ((resource.Properties?.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement ?? []).map(
        (statement) => ({ policyId, statement }),
      ),
    ),
  );

export const actionsOf = (statement: PolicyStatementJson): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** Every cdk-nag/CDK acknowledgment recorded in the construct tree under `scope`. */
export const acknowledgmentsUnder = (
  scope: IConstruct,
): { readonly path: string; readonly id: string; readonly reason: string }[] =>
  scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        // Entries map `Annotation::{rule id}` to the reason.
        Object.entries(entry.data as Record<string, string>).map(([key, reason]) => ({
          path: construct.node.path,
          id: key.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );

/** `template.hasResourceProperties`, named so linters see an assertion. */
export const expectResourceProperties = (template: Template, type: string, properties: unknown): void =>
  template.hasResourceProperties(type, properties);

/** `template.hasResource` (properties plus DeletionPolicy etc.), named so linters see an assertion. */
export const expectResource = (template: Template, type: string, resource: unknown): void =>
  template.hasResource(type, resource);

/** `template.resourceCountIs`, named so linters see an assertion. */
export const expectResourceCount = (template: Template, type: string, count: number): void =>
  template.resourceCountIs(type, count);

/** Every cdk-nag finding (AwsSolutions, HIPAA) no acknowledgment covers, in both stacks of an app. */
export const unacknowledgedNagFindings = (
  built: ConnectorApp,
): { readonly rule: string; readonly at: readonly (string | undefined)[] }[] =>
  built.nagPacks.flatMap((pack) =>
    [built.connector, built.customerAccess].flatMap((stack) =>
      stack === undefined
        ? []
        : pack.validateScope(stack).violations.map((violation) => ({
            rule: violation.ruleName,
            at: violation.violatingResources.map((resource) => resource.constructPath),
          })),
    ),
  );
