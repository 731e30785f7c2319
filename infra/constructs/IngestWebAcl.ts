import { ArnFormat, Aws, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface IngestWebAclProps {
  /** The stage the web ACL protects. */
  readonly stage: apigateway.Stage;
  /** Requests one source IP may send per evaluation window before it is blocked (WAF: 10 to 2e9). */
  readonly rateLimit: number;
  /** The rate rule's evaluation window: 60, 120, 300 or 600 seconds. */
  readonly evaluationWindowSeconds: 60 | 120 | 300 | 600;
  /** Prefix of the CloudWatch metric names WAF publishes (AWS/WAFV2) and of the log group name. */
  readonly metricPrefix: string;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default - CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * A regional AWS WAF web ACL on the ingest stage: allows by default and blocks a source IP that sends
 * more than `rateLimit` requests per evaluation window (answered 403 by WAF, before API Gateway
 * throttling and the Lambda). Blocked requests are logged to `aws-waf-logs-{prefix}-{stack uuid}`
 * (retention, key, the Authorization header redacted; deleted with the stack); allowed ones are in the
 * API's access log already.
 */
export class IngestWebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: IngestWebAclProps) {
    super(scope, id);
    if (!Number.isInteger(props.rateLimit) || props.rateLimit < 10 || props.rateLimit > 2_000_000_000) {
      throw new Error(`IngestWebAcl ${id}: rateLimit must be 10-2000000000, got ${props.rateLimit}`);
    }
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${props.metricPrefix}-${name}`,
      // Sampled requests hold headers (Authorization) for three hours in the WAF console: off.
      sampledRequestsEnabled: false,
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'Rate limit per source IP in front of the FHIR ingest API',
      visibilityConfig: visibility('all'),
      rules: [
        {
          name: 'RateLimitPerSourceIp',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: props.rateLimit,
              evaluationWindowSec: props.evaluationWindowSeconds,
            },
          },
          visibilityConfig: visibility('rate-limit'),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'StageAssociation', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
    // WAF requires the `aws-waf-logs-` prefix (so CloudFormation cannot generate the name) and the ARN
    // without the `:*` suffix. A fixed name that outlived its stack would block the next create (after
    // `cdk destroy`, or turning `ingest.waf` off and on): the name ends with the stack's own id, and the
    // stack deletes the group with itself.
    const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    const logGroupName = `aws-waf-logs-${props.metricPrefix}-${stackUuid}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
      ...(props.logEncryptionKey === undefined ? {} : { encryptionKey: props.logEncryptionKey }),
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }],
          },
        ],
      },
    });
    logging.node.addDependency(this.logGroup);
    // The stage must exist before it can be associated.
    this.node.addDependency(props.stage);
  }
}
