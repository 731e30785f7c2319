import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Every item of one partition of the state table, in sort-key order, read page by page with strongly
 * consistent reads (a store's list sees its own last write).
 *
 * @example
 * const items = await queryPartition(client, tableName, SUBSCRIPTION_PARTITION);
 */
export const queryPartition = async (
  client: Pick<DynamoDBDocumentClient, 'send'>,
  tableName: string,
  partition: string,
): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': partition },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
};
