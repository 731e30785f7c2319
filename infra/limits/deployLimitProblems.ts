import type { Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ENV } from '../../shared/config/constants.js';
import { INGEST_ENV } from '../../shared/ingest/constants.js';
import { executeApiArnPrefixLength, lengthContextOf, longestForm } from './resolvedLength.js';

/**
 * Lambda: "The total size of all environment variables doesn't exceed 4 KB", measured on the JSON of
 * the variables (its error quotes the string measured).
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096;
/** API Gateway: "Length, in characters, of the API Gateway resource policy": 8,192. */
export const REST_API_POLICY_MAX_CHARACTERS = 8192;

/** The configuration options that make a function's environment grow, by variable. */
const VARIABLE_SOURCES: Readonly<Record<string, string>> = {
  [ENV.allowedEndpoints]: 'healthLake.additionalAllowedEndpoints',
  [INGEST_ENV.adminPrincipalArns]: 'ingest.adminPrincipalArns',
};

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** What a function is called in a problem: its construct path under the stack. */
const functionName = (stack: Stack, fn: lambda.CfnFunction): string =>
  (fn.node.scope?.node.path ?? fn.node.path).slice(stack.node.path.length + 1);

const environmentProblems = (stack: Stack): string[] => {
  const context = lengthContextOf(stack);
  const problems: string[] = [];
  for (const fn of stack.node.findAll().filter((child) => child instanceof lambda.CfnFunction)) {
    const environment = stack.resolve(fn.environment) as { variables?: Record<string, unknown> } | undefined;
    const variables = longestForm(context, environment?.variables ?? {}) as Record<string, string>;
    const size = bytes(JSON.stringify(variables));
    if (size <= LAMBDA_ENVIRONMENT_MAX_BYTES) continue;
    const [largest] = Object.entries(variables).sort(([, a], [, b]) => bytes(b) - bytes(a));
    const source = largest === undefined ? undefined : VARIABLE_SOURCES[largest[0]];
    problems.push(
      `${source ?? 'configuration'}: the environment of the ${functionName(stack, fn)} function would take up to ` +
        `${size} bytes, more than Lambda's ${LAMBDA_ENVIRONMENT_MAX_BYTES}` +
        (largest === undefined ? '' : ` (largest: ${largest[0]}, ${bytes(largest[1])} bytes)`) +
        (source === undefined ? '' : `; list fewer entries in ${source}`),
    );
  }
  return problems;
};

const resourcePolicyProblems = (stack: Stack): string[] => {
  const context = lengthContextOf(stack);
  const problems: string[] = [];
  for (const api of stack.node.findAll().filter((child) => child instanceof apigateway.CfnRestApi)) {
    const policy: unknown = stack.resolve(api.policy);
    if (policy === undefined) continue;
    const text = JSON.stringify(longestForm(context, policy));
    // API Gateway stores `execute-api:/...` resources as full ARNs of the API.
    const expansions = text.split('"execute-api:/').length - 1;
    const length = text.length + expansions * (executeApiArnPrefixLength(context) - 'execute-api:/'.length);
    if (length > REST_API_POLICY_MAX_CHARACTERS) {
      problems.push(
        `ingest.allowedSourceCidrs: the REST API resource policy would be up to ${length} characters, more ` +
          `than API Gateway's ${REST_API_POLICY_MAX_CHARACTERS}; list fewer or wider ranges`,
      );
    }
  }
  return problems;
};

/**
 * Limits AWS checks only at deploy time, measured on what the stack writes: each function's environment
 * (Lambda, 4 KB) and the REST API resource policy (API Gateway, 8,192 characters), with every value
 * CloudFormation fills in at its longest. One message per problem, naming the option to change.
 *
 * @example
 * const problems = deployLimitProblems(connectorStack); // [] when it deploys
 */
export const deployLimitProblems = (stack: Stack): string[] => [
  ...environmentProblems(stack),
  ...resourcePolicyProblems(stack),
];
