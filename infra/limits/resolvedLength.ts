import { CfnResource, type Stack } from 'aws-cdk-lib';

/**
 * The longest text CloudFormation can substitute for each intrinsic the connector stack writes into a
 * size-limited property, from AWS's own naming limits: so a size measured on the synthesized template
 * holds for any deployment, whatever names CloudFormation generates.
 */

/** AWS::Partition: `aws-us-gov` is the longest. */
const PARTITION = 10;
/** AWS::URLSuffix: `amazonaws.com.cn` is the longest. */
const URL_SUFFIX = 16;
const ACCOUNT = 12;
/** Region names such as `ap-southeast-5` (when the stack's region is not a literal). */
const REGION = 14;
/** SQS queue names: at most 80 characters. */
const QUEUE_NAME = 80;
/** DynamoDB table names: at most 255. */
const TABLE_NAME = 255;
/** S3 bucket names: at most 63. */
const BUCKET_NAME = 63;
/** Lambda function names: at most 64. */
const FUNCTION_NAME = 64;
/** A KMS key id (a UUID). */
const KEY_ID = 36;
/** A REST API id. */
const REST_API_ID = 10;
/** RDS Proxy names: at most 63. */
const DB_PROXY_NAME = 63;
/** The account's RDS host label (`proxy-{this}`): 12 characters seen, room left for more. */
const RDS_HOST_ID = 20;

/** Thrown for an intrinsic without a known bound: a new kind of value needs one here, not a guess. */
export class UnboundedValueError extends Error {
  public constructor(value: unknown) {
    super(`No upper bound is known for ${JSON.stringify(value)}: add one to infra/limits/resolvedLength.ts`);
    this.name = 'UnboundedValueError';
  }
}

/** Longest values of one stack: its region when literal, and the type of each logical id. */
export interface LengthContext {
  readonly regionLength: number;
  readonly typeOf: (logicalId: string) => string | undefined;
}

export const lengthContextOf = (stack: Stack): LengthContext => {
  const types = new Map<string, string>();
  for (const child of stack.node.findAll()) {
    if (CfnResource.isCfnResource(child)) {
      types.set(stack.resolve(child.logicalId) as string, child.cfnResourceType);
    }
  }
  return {
    regionLength: /^[a-z0-9-]+$/.test(stack.region) ? stack.region.length : REGION,
    typeOf: (logicalId) => types.get(logicalId),
  };
};

/** `arn:{partition}:{service}:{region}:{account}:{resource}` at its longest. */
const arn = (context: LengthContext, service: string, resource: number): number =>
  'arn:'.length + PARTITION + 1 + service.length + 1 + context.regionLength + 1 + ACCOUNT + 1 + resource;

const queueUrl = (context: LengthContext): number =>
  'https://sqs.'.length + context.regionLength + 1 + URL_SUFFIX + 1 + ACCOUNT + 1 + QUEUE_NAME;

const refLength = (context: LengthContext, target: string): number | undefined => {
  const pseudo: Record<string, number> = {
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': context.regionLength,
    'AWS::Partition': PARTITION,
    'AWS::URLSuffix': URL_SUFFIX,
  };
  if (target in pseudo) return pseudo[target];
  const byType: Record<string, number> = {
    'AWS::SQS::Queue': queueUrl(context),
    'AWS::DynamoDB::Table': TABLE_NAME,
    'AWS::S3::Bucket': BUCKET_NAME,
    'AWS::Lambda::Function': FUNCTION_NAME,
    'AWS::ApiGateway::RestApi': REST_API_ID,
    'AWS::KMS::Key': KEY_ID,
  };
  return byType[context.typeOf(target) ?? ''];
};

const getAttLength = (context: LengthContext, target: string, attribute: string): number | undefined => {
  const type = context.typeOf(target) ?? '';
  const byTypeAndAttribute: Record<string, number> = {
    'AWS::KMS::Key.Arn': arn(context, 'kms', 'key/'.length + KEY_ID),
    'AWS::Lambda::Function.Arn': arn(context, 'lambda', 'function:'.length + FUNCTION_NAME),
    'AWS::SQS::Queue.Arn': arn(context, 'sqs', QUEUE_NAME),
    'AWS::SQS::Queue.QueueName': QUEUE_NAME,
    'AWS::SQS::Queue.QueueUrl': queueUrl(context),
    'AWS::DynamoDB::Table.Arn': arn(context, 'dynamodb', 'table/'.length + TABLE_NAME),
    'AWS::S3::Bucket.Arn': 'arn:'.length + PARTITION + ':s3:::'.length + BUCKET_NAME,
    // `{name}.proxy-{id}.{region}.rds.{url suffix}`
    'AWS::RDS::DBProxy.Endpoint':
      DB_PROXY_NAME + '.proxy-'.length + RDS_HOST_ID + 1 + context.regionLength + '.rds.'.length + URL_SUFFIX,
  };
  return byTypeAndAttribute[`${type}.${attribute}`];
};

/**
 * The most characters a resolved template value (a string or an intrinsic such as `Ref`, `Fn::GetAtt`,
 * `Fn::Join`) can become at deploy time. Throws UnboundedValueError for anything else.
 */
export const resolvedLength = (context: LengthContext, value: unknown): number => {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const [[fn, args] = []] = Object.entries(value);
    if (Object.keys(value).length === 1) {
      let length: number | undefined;
      if (fn === 'Ref' && typeof args === 'string') length = refLength(context, args);
      if (fn === 'Fn::GetAtt' && Array.isArray(args) && typeof args[0] === 'string') {
        length = getAttLength(context, args[0], String(args[1]));
      }
      if (fn === 'Fn::Join' && Array.isArray(args) && typeof args[0] === 'string' && Array.isArray(args[1])) {
        const parts = args[1] as unknown[];
        const separator = args[0];
        length =
          parts.reduce<number>((sum, part) => sum + resolvedLength(context, part), 0) +
          separator.length * Math.max(0, parts.length - 1);
      }
      if (length !== undefined) return length;
    }
  }
  throw new UnboundedValueError(value);
};

/**
 * `value` (a resolved template fragment) with every intrinsic replaced by a string of its longest
 * length: its JSON then has the size of the longest text CloudFormation can send.
 */
export const longestForm = (context: LengthContext, value: unknown): unknown => {
  if (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value === null
  ) {
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => longestForm(context, item));
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) {
      return 'x'.repeat(resolvedLength(context, value));
    }
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        longestForm(context, item),
      ]),
    );
  }
  throw new UnboundedValueError(value);
};

/** The longest `arn:{partition}:execute-api:{region}:{account}:{api id}/` that `execute-api:/` expands to. */
export const executeApiArnPrefixLength = (context: LengthContext): number =>
  arn(context, 'execute-api', REST_API_ID + 1);
