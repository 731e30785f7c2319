import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A document client for tests that mock DynamoDB with aws-sdk-client-mock: it fails a runaway retry
 * loop (a mutant, or a bug) after `limit` commands instead of letting it spin forever.
 */
export const boundedDocumentClient = (limit = 500) => {
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  let sent = 0;
  const client = {
    send: (command: Parameters<typeof documentClient.send>[0]) => {
      sent += 1;
      if (sent > limit) throw new Error(`More than ${limit} commands in one test`);
      return documentClient.send(command);
    },
  } as Pick<DynamoDBDocumentClient, 'send'>;
  return { client, resetCount: () => (sent = 0) };
};
