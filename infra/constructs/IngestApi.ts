import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

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
  /** @default 'fhir' */
  readonly stageName?: string;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default - CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * The FHIR ingest API: a regional REST API whose root and `/{proxy+}` (any method) proxy to the ingest
 * Lambda, with stage throttling, JSON access logs, X-Ray tracing, ERROR-level execution logs without
 * request/response bodies (they are PHI), and request validation.
 */
export class IngestApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly accessLogGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const problems: string[] = [];
    if (!INGEST_AUTH_MODES.includes(props.authMode)) problems.push(`authMode must be bearer or iam`);
    if (props.throttlingRateLimit <= 0) problems.push('throttlingRateLimit must be positive');
    if (!Number.isInteger(props.throttlingBurstLimit) || props.throttlingBurstLimit < 1) {
      problems.push('throttlingBurstLimit must be a positive whole number');
    }
    if (problems.length > 0) throw new Error(`IngestApi ${id}: ${problems.join('; ')}`);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      ...(props.logEncryptionKey === undefined ? {} : { encryptionKey: props.logEncryptionKey }),
    });
    const authorizationType =
      props.authMode === 'iam' ? apigateway.AuthorizationType.IAM : apigateway.AuthorizationType.NONE;

    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'FHIR R4 ingest API of the HealthLake connector',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Execution logs need the account-level API Gateway CloudWatch role; keep it on stack deletion
      // because other APIs in the account may rely on it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName ?? 'fhir',
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
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
    ack(
      'AwsSolutions-APIG3',
      'Every request is authenticated (bearer token or SigV4) and the stage is throttled; a WAF web ACL is left to deployers who front their APIs with one (associate it with the stage after deploy).',
    );
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
