import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { cachedSecretReader } from '../../shared/fhirClient/cachedSecretReader.js';
import type { EnvValues } from '../../shared/config/envVar.js';
import type { SQL_WRITER_CONTRACT } from '../../shared/runtime/sqlWriterContract.js';
import { PgSqlClient } from '../../shared/sqlTarget/PgSqlClient.js';

/** The password part of a Secrets Manager secret (RDS's format: JSON with `username` and `password`). */
const passwordOf = (secret: string): string => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new Error('The SQL secret is not JSON with a "password"');
  }
  const password = (parsed as { password?: unknown } | null)?.password;
  if (typeof password !== 'string' || password === '') throw new Error('The SQL secret has no "password"');
  return password;
};

/**
 * The SQL target's client from the writer's environment: a pg pool (created once per instance, so
 * connections are reused across invocations) whose password is, per new connection, an RDS IAM token
 * (`iam`, signed with the function's credentials for the URL's host, port and user), the `password` of a
 * Secrets Manager secret read through a 5-minute cache (`secret`, so a rotation is picked up), or none
 * (`none`: the URL holds what is needed, local mode). TLS as SQL_TLS says.
 */
export const sqlClientFromEnv = (
  values: EnvValues<typeof SQL_WRITER_CONTRACT>,
  aws: {
    readonly region?: string;
    readonly credentials?: AwsCredentialIdentityProvider;
    readonly secrets: () => SecretsManagerClient;
  },
  onIdleError: (error: Error) => void,
): PgSqlClient => {
  const url = values.url;
  let password: (() => Promise<string>) | undefined;
  if (values.auth === 'iam') {
    const region = values.iamRegion ?? aws.region;
    const signer = new Signer({
      hostname: url.hostname,
      port: Number(url.port || 5432),
      username: decodeURIComponent(url.username),
      ...(region ? { region } : {}),
      ...(aws.credentials ? { credentials: aws.credentials } : {}),
    });
    password = () => signer.getAuthToken();
  } else if (values.auth === 'secret') {
    const secretId = values.secretId as string;
    let read: ((id: string) => Promise<string>) | undefined;
    password = async () => {
      read ??= cachedSecretReader(aws.secrets());
      return passwordOf(await read(secretId));
    };
  }
  const ssl =
    values.tls === 'off'
      ? undefined
      : // verify-full: Node's trust store plus NODE_EXTRA_CA_CERTS (the stack points it at Lambda's RDS CA bundle).
        { rejectUnauthorized: values.tls === 'verify-full' };
  return new PgSqlClient({
    connectionString: url.toString(),
    ...(password ? { password } : {}),
    ...(ssl ? { ssl } : {}),
    maxConnections: values.maxConnections,
    prepareStatements: values.prepareStatements,
    onIdleError,
  });
};
