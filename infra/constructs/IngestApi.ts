import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { IngestWebAcl, type IngestWebAclProps } from './IngestWebAcl.js';

/** How producers authenticate to the ingest API. */
export const INGEST_AUTH_MODES = ['bearer', 'iam'] as const;
export type IngestAuthMode = (typeof INGEST_AUTH_MODES)[number];

/**
 * The largest request the ingest path accepts, in bytes: API Gateway REST allows 10 MB, but a
 * synchronous Lambda invocation payload is limited to 6 MB, so 6 MB is the effective limit.
 */
export const INGEST_MAX_REQUEST_BYTES = 6_291_456;

export interface IngestApiProps {
  /** The ingest Lambda every route proxies to. */
  readonly handler: lambda.IFunction;
  /**
   * "bearer": the ingest Lambda authenticates every request against hashed tokens in a secret (API
   * Gateway authorization NONE); "iam": API Gateway requires SigV4 (AWS_IAM) before the Lambda runs.
   */
  readonly authMode: IngestAuthMode;
  /** Stage-wide steady-state requests per second. */
  readonly throttlingRateLimit: number;
  /** Stage-wide burst. */
  readonly throttlingBurstLimit: number;
  /**
   * Name of the REST API: the `ApiName` dimension of its CloudWatch metrics, so it must be unique per
   * connector in the account and region.
   */
  readonly apiName: string;
  /** @default 'fhir' */
  readonly stageName?: string;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default - CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * API Gateway execution logs. When on, the stack creates their log group
   * (`API-Gateway-Execution-Logs_{api id}/{stage}`, deleted with the stack or when they are turned off)
   * with the retention and key above, and the account
   * needs the API Gateway CloudWatch role (`accountCloudWatchRole`, or one set outside the stack).
   * @default 'off' (the access logs record every request)
   */
  readonly executionLogs?: 'off' | 'error' | 'info';
  /**
   * Create the account-wide AWS::ApiGateway::Account CloudWatch role (shared by every API in the
   * account and region, retained on stack deletion).
   * @default false
   */
  readonly accountCloudWatchRole?: boolean;
  /** A WAF web ACL with a per-source-IP rate rule on the stage. @default - none */
  readonly waf?: Pick<IngestWebAclProps, 'rateLimit' | 'evaluationWindowSeconds'>;
  /** Source IP ranges allowed to call the API (a resource policy). @default - any source */
  readonly allowedSourceCidrs?: readonly string[];
}

const EXECUTION_LOG_LEVEL = {
  off: apigateway.MethodLoggingLevel.OFF,
  error: apigateway.MethodLoggingLevel.ERROR,
  info: apigateway.MethodLoggingLevel.INFO,
} as const;

/**
 * Resource policy allowing only `cidrs`: bearer mode allows any caller from those ranges (the Lambda
 * checks the token); IAM mode allows only principals of this account (their IAM policies decide),
 * never other accounts.
 */
const sourceIpPolicy = (scope: Construct, authMode: IngestAuthMode, cidrs: readonly string[]) =>
  new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AllowInvoke',
        actions: ['execute-api:Invoke'],
        principals: [
          authMode === 'iam' ? new iam.AccountPrincipal(Stack.of(scope).account) : new iam.AnyPrincipal(),
        ],
        resources: ['execute-api:/*'],
      }),
      new iam.PolicyStatement({
        sid: 'DenyOtherSourceIps',
        effect: iam.Effect.DENY,
        actions: ['execute-api:Invoke'],
        principals: [new iam.AnyPrincipal()],
        resources: ['execute-api:/*'],
        conditions: { NotIpAddress: { 'aws:SourceIp': [...cidrs] } },
      }),
    ],
  });

/**
 * The FHIR ingest API: a regional REST API whose root and `/{proxy+}` (any method) proxy to the ingest
 * Lambda, with stage throttling, JSON access logs, X-Ray tracing, request validation, and optionally
 * execution logs (never request/response bodies: they are PHI), a WAF rate rule and a source-IP
 * allow-list.
 */
export class IngestApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly accessLogGroup: logs.LogGroup;
  /** The execution-log group, when execution logs are on. */
  public readonly executionLogGroup?: logs.LogGroup;
  public readonly webAcl?: IngestWebAcl;

  public constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const problems: string[] = [];
    if (!INGEST_AUTH_MODES.includes(props.authMode)) problems.push(`authMode must be bearer or iam`);
    if (props.throttlingRateLimit <= 0) problems.push('throttlingRateLimit must be positive');
    if (!Number.isInteger(props.throttlingBurstLimit) || props.throttlingBurstLimit < 1) {
      problems.push('throttlingBurstLimit must be a positive whole number');
    }
    if (props.allowedSourceCidrs?.length === 0) problems.push('allowedSourceCidrs must not be empty');
    if (problems.length > 0) throw new Error(`IngestApi ${id}: ${problems.join('; ')}`);
    const executionLogs = props.executionLogs ?? 'off';
    const stageName = props.stageName ?? 'fhir';

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      ...(props.logEncryptionKey === undefined ? {} : { encryptionKey: props.logEncryptionKey }),
    });
    const authorizationType =
      props.authMode === 'iam' ? apigateway.AuthorizationType.IAM : apigateway.AuthorizationType.NONE;

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: props.apiName,
      description: 'FHIR R4 ingest API of the HealthLake connector',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // The account-level API Gateway CloudWatch role is shared by every API in the account and region:
      // only on request, and kept on stack deletion because other APIs may rely on it.
      cloudWatchRole: props.accountCloudWatchRole ?? false,
      ...(props.accountCloudWatchRole === true ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      ...(props.allowedSourceCidrs === undefined
        ? {}
        : { policy: sourceIpPolicy(this, props.authMode, props.allowedSourceCidrs) }),
      deployOptions: {
        stageName,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: EXECUTION_LOG_LEVEL[executionLogs],
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });

    if (executionLogs !== 'off') {
      // Created here, before the stage, so it has retention and the key (API Gateway would otherwise
      // create it on first use, unencrypted and never expiring). API Gateway fixes its name, so a
      // retained group would block turning execution logs off and on again: the stack deletes it.
      this.executionLogGroup = new logs.LogGroup(this, 'ExecutionLogs', {
        logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${stageName}`,
        retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.DESTROY,
        ...(props.logEncryptionKey === undefined ? {} : { encryptionKey: props.logEncryptionKey }),
      });
      this.api.deploymentStage.node.addDependency(this.executionLogGroup);
    }
    if (props.waf !== undefined) {
      this.webAcl = new IngestWebAcl(this, 'Waf', {
        stage: this.api.deploymentStage,
        rateLimit: props.waf.rateLimit,
        evaluationWindowSeconds: props.waf.evaluationWindowSeconds,
        metricPrefix: props.apiName,
        ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
        ...(props.logEncryptionKey === undefined ? {} : { logEncryptionKey: props.logEncryptionKey }),
      });
    }

    // Bodies are FHIR resources the Lambda validates; API Gateway validates what it can (parameters).
    const validator = new apigateway.RequestValidator(this, 'RequestValidator', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    const integration = new apigateway.LambdaIntegration(props.handler, { proxy: true });
    const methodOptions: apigateway.MethodOptions = { authorizationType, requestValidator: validator };
    this.api.root.addMethod('ANY', integration, methodOptions);
    this.api.root.addProxy({
      anyMethod: true,
      defaultIntegration: integration,
      defaultMethodOptions: methodOptions,
    });

    const ack = (ruleId: string, reason: string, construct: Construct = this.api) =>
      Validations.of(construct).acknowledge({ id: ruleId, reason });
    ack(
      'AwsSolutions-APIG2',
      'The validator checks request parameters; bodies are FHIR resources whose validation (resource type, id, size, JSON) the ingest Lambda does with FHIR OperationOutcome answers, which an API Gateway model cannot express.',
    );
    if (props.waf === undefined) {
      ack(
        'AwsSolutions-APIG3',
        'WAF is optional (configuration ingest.waf): every request is authenticated (bearer token or SigV4) and the stage is throttled; deployers who want a per-source-IP rate rule turn it on.',
      );
    }
    if (executionLogs === 'off') {
      const reason =
        'Execution logs are off by default (configuration ingest.executionLogs): the JSON access log records every request (caller, IP, method, path, status, latency), and execution logs need the account-wide API Gateway CloudWatch role.';
      ack('AwsSolutions-APIG6', reason, this.api.deploymentStage);
      ack('HIPAA.Security-APIGWExecutionLoggingEnabled', reason, this.api.deploymentStage);
    }
    ack(
      'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
      'Caching is deliberately off: the API takes writes, and cached responses would be PHI at rest outside the connector key.',
    );
    ack(
      'HIPAA.Security-APIGWSSLEnabled',
      'The only backend is a Lambda proxy integration (no HTTP backend), so there is no backend TLS connection for a client certificate to authenticate.',
    );
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole !== undefined) {
      ack(
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        "The account-level role API Gateway uses for execution logs; AmazonAPIGatewayPushToCloudWatchLogs is AWS's documented policy for it.",
        cloudWatchRole,
      );
    }
    if (props.authMode === 'bearer') {
      const reason =
        'Bearer mode: the ingest Lambda authenticates every request (FHIR rest-hook producers send a static Authorization header) against hashed tokens in a Secrets Manager secret, before any other work; unauthenticated requests get 401.';
      ack('AwsSolutions-APIG4', reason);
      ack('AwsSolutions-COG4', reason);
    } else {
      ack(
        'AwsSolutions-COG4',
        'IAM mode: every method requires SigV4 (AWS_IAM authorization); producers are AWS workloads with IAM identities, not Cognito users.',
      );
    }
  }
}
