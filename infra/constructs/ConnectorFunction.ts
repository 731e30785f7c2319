import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  type ICommandHooks,
  LogLevel,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import { METRICS_NAMESPACE } from '../../shared/delivery/constants.js';
import { CONNECTOR_BUNDLING } from '../bundling/bundlingOptions.js';

/**
 * After esbuild: copies files into the bundle with Node (portable, unlike `cp`), then runs each
 * generator script with the project's tsx (`npx --no`: never downloads), given the bundle directory.
 * Local bundling runs these commands from the project root.
 */
const afterBundlingHooks = (
  files: readonly { readonly source: string; readonly target: string }[],
  scripts: readonly string[],
): ICommandHooks => ({
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir: string, outputDir: string) => [
    ...files.map(({ source, target }) => {
      const from = JSON.stringify(join(inputDir, source));
      const to = JSON.stringify(join(outputDir, target));
      const script = `const fs=require('fs'),path=require('path');fs.mkdirSync(path.dirname(${to}),{recursive:true});fs.copyFileSync(${from},${to})`;
      return `node -e ${JSON.stringify(script)}`;
    }),
    ...scripts.map(
      (script) => `npx --no tsx ${JSON.stringify(join(inputDir, script))} ${JSON.stringify(outputDir)}`,
    ),
  ],
});

/** Log levels a connector function can run at (the configuration's `logLevel`). */
export type ConnectorLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Lambda's application log filter for each level, so it never drops lines Powertools wrote. */
const APPLICATION_LOG_LEVEL = {
  debug: lambda.ApplicationLogLevel.DEBUG,
  info: lambda.ApplicationLogLevel.INFO,
  warn: lambda.ApplicationLogLevel.WARN,
  error: lambda.ApplicationLogLevel.ERROR,
} as const satisfies Record<ConnectorLogLevel, lambda.ApplicationLogLevel>;

/** The runtime every connector function uses (nodejs24.x: supported until 2028-04-30). */
export const CONNECTOR_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface ConnectorFunctionProps extends Omit<
  NodejsFunctionProps,
  'entry' | 'runtime' | 'architecture' | 'logGroup' | 'loggingFormat' | 'tracing' | 'role' | 'bundling'
> {
  /** The handler file (exports `handler`). */
  readonly entry: string;
  /**
   * Powertools service name: the `service` dimension of the function's EMF metrics and its logs.
   */
  readonly serviceName: string;
  /**
   * Level of the function's logs: POWERTOOLS_LOG_LEVEL and Lambda's application log level (JSON
   * logging filters below it, and Powertools follows the stricter of the two).
   * @default 'info'
   */
  readonly logLevel?: ConnectorLogLevel;
  /**
   * Days the function's log group keeps events.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Key encrypting the function's log group; its policy must let CloudWatch Logs use it.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Files the code reads at run time that esbuild cannot inline (e.g. JSON a library loads from its
   * own directory), copied into the bundle. `source` is relative to the project root, `target` to the
   * bundle root.
   * @default - none
   */
  readonly assetFiles?: readonly { readonly source: string; readonly target: string }[];
  /**
   * TypeScript scripts that generate run-time files into the bundle (e.g. trimmed FHIR definitions),
   * run with tsx after esbuild and given the bundle directory as their only argument. Paths are
   * relative to the project root.
   * @default - none
   */
  readonly bundlingScripts?: readonly string[];
  /**
   * Explicit IAM role name (for roles another account's trust policy names).
   * @default - a name CloudFormation generates
   */
  readonly roleName?: string;
}

/**
 * The one NodejsFunction the connector uses, with its defaults fixed: nodejs24.x on arm64, a
 * bundle (CommonJS, minified, source maps on, AWS SDK v3 bundled at the versions the tests ran against), its own
 * log group with retention, JSON logs, active X-Ray tracing, and a role whose only standing permission
 * is writing to that log group (no AWSLambdaBasicExecutionRole with its `*` log resources).
 *
 * @example
 * const fn = new ConnectorFunction(this, 'Ingest', { entry: 'lambdas/ingest/handler.ts', serviceName: 'ingest' });
 */
export class ConnectorFunction extends NodejsFunction {
  /** The function's own log group (retention set). */
  public readonly functionLogGroup: logs.LogGroup;
  public readonly serviceRole: iam.Role;

  public constructor(scope: Construct, id: string, props: ConnectorFunctionProps) {
    const {
      serviceName,
      logRetention,
      logEncryptionKey,
      logLevel = 'info',
      roleName,
      environment,
      assetFiles = [],
      bundlingScripts = [],
      ...rest
    } = props;
    // Created in the parent scope because a subclass cannot add children before super().
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: logRetention ?? logs.RetentionDays.ONE_YEAR,
      ...(logEncryptionKey === undefined ? {} : { encryptionKey: logEncryptionKey }),
    });
    const serviceRole = new iam.Role(scope, `${id}ServiceRole`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${serviceName} function`,
      ...(roleName === undefined ? {} : { roleName }),
    });
    serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    super(scope, id, {
      memorySize: 512,
      timeout: Duration.seconds(30),
      ...rest,
      entry: props.entry,
      handler: 'handler',
      runtime: CONNECTOR_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      role: serviceRole,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: APPLICATION_LOG_LEVEL[logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      awsSdkConnectionReuse: false,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: logLevel.toUpperCase(),
        ...environment,
      },
      bundling: {
        ...CONNECTOR_BUNDLING,
        format: OutputFormat.CJS,
        // esbuild's size table and size warnings are not for people running synth or the tests.
        logLevel: LogLevel.ERROR,
        ...(assetFiles.length === 0 && bundlingScripts.length === 0
          ? {}
          : { commandHooks: afterBundlingHooks(assetFiles, bundlingScripts) }),
      },
    });
    this.functionLogGroup = logGroup;
    this.serviceRole = serviceRole;

    const ack = (construct: Construct, ruleId: string, reason: string) =>
      Validations.of(construct).acknowledge({ id: ruleId, reason });
    ack(
      serviceRole,
      'AwsSolutions-IAM5[Resource::*]',
      'Only xray:PutTraceSegments and xray:PutTelemetryRecords use Resource "*" (added by active tracing): X-Ray has no resource-level permissions.',
    );
    ack(
      serviceRole,
      'HIPAA.Security-IAMNoInlinePolicy',
      "The role's policy is generated from grants on this stack's resources, is attached to this one role only and is created and deleted with it; a managed policy would add a reusable object with the same content.",
    );
    ack(
      this,
      'HIPAA.Security-LambdaConcurrency',
      'Concurrency is capped where it matters: queue consumers by event source MaximumConcurrency (configuration), the ingest API by stage throttling. Reserved concurrency would take from the account pool and fails to deploy in accounts with the default low limit.',
    );
    ack(
      this,
      'HIPAA.Security-LambdaDLQ',
      "Never invoked asynchronously: API Gateway and the CloudFormation provider invoke synchronously, SQS event sources retry and dead-letter through the source queue's own redrive policy (a FIFO DLQ for deliveries).",
    );
    ack(
      this,
      'HIPAA.Security-LambdaInsideVPC',
      'The function reaches only AWS public endpoints (SQS, DynamoDB, S3, STS, HealthLake, Secrets Manager) and the HTTPS source FHIR server, all over TLS with SigV4 or token authentication; there is no private resource to reach, so a VPC would add NAT/endpoint cost without a network boundary.',
    );
  }
}
