import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { attemptsKey } from '../state/tableLayout.js';
import type { DeliveryAttempts } from './deliveryAttempts.js';

/** Longer than any message can stay in the delivery queue (SQS keeps it at most 14 days). */
const ATTEMPTS_TTL_SECONDS = 15 * 24 * 3600;

/**
 * Failed delivery attempts in the connector's state table (`MSG#{messageId}` / `ATTEMPTS`): one atomic
 * `ADD` per failure, none on success, so a healthy delivery costs nothing; the item expires after the
 * queue's longest retention.
 *
 * @example
 * const attempts = new DynamoDeliveryAttempts(documents, table);
 * if ((await attempts.failed(record.messageId)) >= maxAttempts) // dead-letter
 */
export class DynamoDeliveryAttempts implements DeliveryAttempts {
  public constructor(
    private readonly documents: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  public async failed(messageId: string): Promise<number> {
    const response = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: attemptsKey(messageId),
        UpdateExpression: 'ADD attempts :one SET expiresAt = :expires',
        ExpressionAttributeValues: {
          ':one': 1,
          ':expires': Math.floor(this.now() / 1000) + ATTEMPTS_TTL_SECONDS,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const attempts = Number(response.Attributes?.attempts);
    if (!Number.isInteger(attempts) || attempts < 1) throw new Error('DynamoDB returned no attempt count');
    return attempts;
  }
}
