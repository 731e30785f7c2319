import { startConnector, type LocalConnector, type StartConnectorOptions } from '../../local/connector.js';
import { startAwsStandins, type AwsStandins } from '../../local/standins/aws.js';
import { startHealthLakeStandin, type FhirStandin } from '../../local/standins/healthlake/index.js';

/** Several local-mode connectors writing into one HealthLake stand-in, on one set of AWS stand-ins. */
export interface SharedHealthLake {
  readonly aws: AwsStandins;
  readonly healthlake: FhirStandin;
  /** One per name, in order, each with its own queues, table prefix and source stand-in. */
  readonly connectors: readonly LocalConnector[];
  /** Stops everything and restores the environment. */
  stop(): Promise<void>;
}

/**
 * Starts the stand-ins and one connector per name (its resource prefix), all pointed at the same
 * HealthLake stand-in as their primary data store, without an auto-managed Subscription.
 *
 * @example
 * const shared = await startConnectorsOnOneHealthLake(['source-a', 'source-b']);
 */
export const startConnectorsOnOneHealthLake = async (
  names: readonly string[],
  options: StartConnectorOptions = {},
): Promise<SharedHealthLake> => {
  const savedEnv = { ...process.env };
  const aws = await startAwsStandins();
  const healthlake = await startHealthLakeStandin({});
  const connectors: LocalConnector[] = [];
  const stop = async () => {
    for (const connector of connectors) await connector.stop();
    await healthlake.stop();
    await aws.stop();
    process.env = savedEnv;
  };
  try {
    // The connectors sign with the stand-in's base credentials (same-account in local mode).
    process.env.AWS_ACCESS_KEY_ID = healthlake.baseCredentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = healthlake.baseCredentials.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    for (const name of names) {
      connectors.push(
        await startConnector({
          apiPort: 0,
          logLevel: 'silent',
          progress: 'off',
          resourcePrefix: name,
          autoSubscription: false,
          healthLakeEndpoint: healthlake.endpoint,
          stsEndpoint: healthlake.stsEndpoint,
          roleArn: healthlake.roleArn,
          ...(healthlake.externalId ? { externalId: healthlake.externalId } : {}),
          sqsEndpoint: aws.sqsEndpoint,
          s3Endpoint: aws.s3Endpoint,
          dynamoEndpoint: aws.dynamoEndpoint,
          retryBaseSeconds: 0,
          retryMaxSeconds: 1,
          ...options,
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { aws, healthlake, connectors, stop };
};
