import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
} from '../../local/standins/aws.js';

export interface StateTable {
  /** A document client on dynalite, valid between the file's beforeAll and afterAll. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Starts the stand-ins with the connector's state table (dynalite) before the calling test file's
 * tests and stops them after. Call at the top level of a test file.
 *
 * @example
 * const table = useStateTable();
 * it('...', () => new DynamoSourceSubscriptionStore({ client: table.client, tableName: table.tableName }));
 */
export const useStateTable = (): StateTable => {
  let aws: AwsStandins | undefined;
  let dynamo: DynamoDBClient | undefined;
  const table = { client: undefined as unknown as DynamoDBDocumentClient, tableName: '' };
  beforeAll(async () => {
    aws = await startAwsStandins();
    const { stateTable } = await createConnectorResources({
      endpoints: {
        dynamoEndpoint: aws.dynamoEndpoint,
        sqsEndpoint: aws.sqsEndpoint,
        s3Endpoint: aws.s3Endpoint,
      },
    });
    dynamo = new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint));
    table.client = DynamoDBDocumentClient.from(dynamo);
    table.tableName = stateTable;
  });
  afterAll(async () => {
    dynamo?.destroy();
    await aws?.stop();
  });
  return table;
};
