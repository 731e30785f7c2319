import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../state/isConditionalCheckFailed.js';
import { subscriptionLimitKey } from '../state/tableLayout.js';
import { memberKey, RESERVATION_TTL_MS, subscriptionLimitReached } from './subscriptionLimit.js';

/** Member changes per UpdateItem while healing: DynamoDB expressions are limited to 4 KB. */
const HEAL_CHUNK = 40;

/**
 * `subscriptions.maxCount` held under concurrency on DynamoDB without transactions: one item
 * (`SUBSCRIPTION#LIMIT`) holds a map of the live Subscriptions (by `memberKey`, each with the time it
 * was reserved). A create first reserves its member with one conditional UpdateItem,
 * `attribute_exists(members.#id) OR size(members) < :max`, and only then writes the Subscription, so two
 * concurrent creates can never both take the last place; a delete removes its member after the
 * tombstone. Reserving is idempotent per id (a retried or concurrent create of the same id takes one
 * place). When a reservation is refused (or the map does not exist yet), the map is healed against
 * the Subscriptions themselves before one more try: live ones missing from it (written before it
 * existed) are added, and members that are not live and older than `RESERVATION_TTL_MS` (a create
 * that crashed between reserving and writing, a delete that crashed before releasing) are removed.
 * Healing never removes an in-flight reservation, so the count errs only high, never past the limit.
 */
export class DynamoSubscriptionLimit {
  public constructor(
    private readonly client: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
  ) {}

  /**
   * Takes a place for `id`: 422 (`subscriptionLimitReached`) when `max` places are taken by others.
   * One conditional UpdateItem in the common case; the map is healed (and created) only when that is
   * refused, then the place is asked for once more. Without `max` the place is recorded
   * unconditionally (deployment-owned Subscriptions).
   */
  public async reserve(
    id: string,
    max: number | undefined,
    now: number,
    liveIds: () => Promise<readonly string[]>,
  ): Promise<void> {
    if (max === undefined) {
      await this.ensureMap();
      await this.take(id, undefined, now);
      return;
    }
    if (await this.take(id, max, now)) return;
    await this.heal(now, await liveIds());
    if (await this.take(id, max, now)) return;
    throw subscriptionLimitReached(Object.keys(await this.members()).length, max);
  }

  /** Sets `id`'s member to `now`, if it is already a member or fewer than `max` are; false when refused. */
  private async take(id: string, max: number | undefined, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: subscriptionLimitKey,
          UpdateExpression: 'SET members.#id = :now',
          ...(max === undefined
            ? {}
            : { ConditionExpression: 'attribute_exists(members.#id) OR size(members) < :max' }),
          ExpressionAttributeNames: { '#id': memberKey(id) },
          ExpressionAttributeValues: { ':now': now, ...(max === undefined ? {} : { ':max': max }) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  private async ensureMap(): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: subscriptionLimitKey,
        UpdateExpression: 'SET members = if_not_exists(members, :empty)',
        ExpressionAttributeValues: { ':empty': {} },
      }),
    );
  }

  /** Gives up the place of a deleted Subscription. */
  public async release(id: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: subscriptionLimitKey,
          UpdateExpression: 'REMOVE members.#id',
          ConditionExpression: 'attribute_exists(members)',
          ExpressionAttributeNames: { '#id': memberKey(id) },
        }),
      );
    } catch (error) {
      // No map yet: the next create builds it from the Subscriptions themselves.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** The member map (`memberKey` -> reservation time, epoch ms), created empty when absent. */
  private async members(): Promise<Record<string, number>> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: subscriptionLimitKey, ConsistentRead: true }),
    );
    return (Item?.members as Record<string, number> | undefined) ?? {};
  }

  private async heal(now: number, liveIds: readonly string[]): Promise<void> {
    await this.ensureMap();
    const members = await this.members();
    const live = new Set(liveIds.map(memberKey));
    const missing = [...live].filter((key) => !(key in members));
    const expired = Object.entries(members).filter(
      ([key, at]) => !live.has(key) && typeof at === 'number' && now - at > RESERVATION_TTL_MS,
    );
    const changes = [
      ...missing.map((key) => ({ key, add: true, at: now })),
      ...expired.map(([key, at]) => ({ key, add: false, at })),
    ];
    for (let start = 0; start < changes.length; start += HEAL_CHUNK) {
      const chunk = changes.slice(start, start + HEAL_CHUNK);
      const names = Object.fromEntries(chunk.map((change, index) => [`#m${index}`, change.key]));
      const values = Object.fromEntries(chunk.map((change, index) => [`:m${index}`, change.at]));
      const sets = chunk.flatMap((change, index) => (change.add ? [`members.#m${index} = :m${index}`] : []));
      const removes = chunk.flatMap((change, index) => (change.add ? [] : [`members.#m${index}`]));
      // Each change holds only if nobody changed that member meanwhile; otherwise the next create heals.
      const conditions = chunk.map((change, index) =>
        change.add ? `attribute_not_exists(members.#m${index})` : `members.#m${index} = :m${index}`,
      );
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: subscriptionLimitKey,
            UpdateExpression: [
              sets.length > 0 ? `SET ${sets.join(', ')}` : '',
              removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
            ]
              .filter(Boolean)
              .join(' '),
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
  }
}
