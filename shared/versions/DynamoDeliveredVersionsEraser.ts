import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deliveredKey } from '../state/tableLayout.js';
import type { DeliveredVersionsEraser, DeliveryTarget } from './DeliveredVersions.js';

/**
 * Deletes a delivered-version record: reconcile repair, after it reset a pinned resource's ledger entry
 * to the source's lower version, so the deliverer sends that version instead of skipping it. Apart
 * from DynamoDeliveredVersions so that only the reconcile worker is granted DeleteItem.
 *
 * @example
 * await new DynamoDeliveredVersionsEraser(documents, table).forget({ resourceKey: 'Patient/p1', endpoint });
 */
export class DynamoDeliveredVersionsEraser implements DeliveredVersionsEraser {
  public constructor(
    private readonly documents: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
  ) {}

  public async forget(target: DeliveryTarget): Promise<void> {
    await this.documents.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: deliveredKey(target.resourceKey, target.endpoint),
      }),
    );
  }
}
