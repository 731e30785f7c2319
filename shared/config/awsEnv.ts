import { optionalVar, type EnvValues, type EnvVar } from './envVar.js';

/** The services whose endpoints the SDK's `AWS_ENDPOINT_URL_{SERVICE}` variables override. */
export const AWS_SERVICES = {
  sqs: 'SQS',
  s3: 'S3',
  dynamodb: 'DYNAMODB',
  sts: 'STS',
  secretsManager: 'SECRETS_MANAGER',
  ssm: 'SSM',
  lambda: 'LAMBDA',
} as const;
export type AwsService = keyof typeof AWS_SERVICES;

/** Region and credentials Lambda's runtime provides (local mode sets them for the stand-ins). */
export const AWS_RUNTIME_ENV = {
  awsRegion: optionalVar(
    'AWS_REGION',
    'Region of the function (Lambda runtime; unset = SDK default).',
    'lambda',
  ),
  awsAccessKeyId: optionalVar('AWS_ACCESS_KEY_ID', "The function's credentials (Lambda runtime).", 'lambda'),
  awsSecretAccessKey: optionalVar('AWS_SECRET_ACCESS_KEY', 'Secret of AWS_ACCESS_KEY_ID.', 'lambda'),
  awsSessionToken: optionalVar('AWS_SESSION_TOKEN', 'Session token of AWS_ACCESS_KEY_ID.', 'lambda'),
} as const;

/** The `AWS_ENDPOINT_URL_{SERVICE}` variable of `service` (local mode points it at a stand-in). */
export const endpointVar = (service: AwsService): EnvVar<string | undefined> =>
  optionalVar(
    `AWS_ENDPOINT_URL_${AWS_SERVICES[service]}`,
    `Endpoint of ${AWS_SERVICES[service]} (unset = the regional AWS endpoint; local mode sets its stand-in).`,
    'local',
  );

/** SDK client configuration from a function's read environment: region, endpoint and credentials. */
export const awsClientConfig = (
  aws: EnvValues<typeof AWS_RUNTIME_ENV>,
  endpoint: string | undefined,
): {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
} => ({
  ...(aws.awsRegion ? { region: aws.awsRegion } : {}),
  ...(endpoint ? { endpoint } : {}),
  // Given explicitly, so several functions' environments can live in one process (local mode);
  // unset = the SDK's default chain.
  ...(aws.awsAccessKeyId && aws.awsSecretAccessKey
    ? {
        credentials: {
          accessKeyId: aws.awsAccessKeyId,
          secretAccessKey: aws.awsSecretAccessKey,
          ...(aws.awsSessionToken ? { sessionToken: aws.awsSessionToken } : {}),
        },
      }
    : {}),
});

/** S3 client configuration: path-style addressing against an endpoint override (stand-in host names do not resolve). */
export const s3ClientConfig = (
  aws: EnvValues<typeof AWS_RUNTIME_ENV> & { readonly s3Endpoint?: string },
) => ({
  ...awsClientConfig(aws, aws.s3Endpoint),
  forcePathStyle: Boolean(aws.s3Endpoint),
});
