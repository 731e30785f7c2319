import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../state/isConditionalCheckFailed.js';
import { queryPartition } from '../state/queryPartition.js';
import { sendConditional } from '../state/sendConditional.js';
import { SOURCE_SUBSCRIPTION_PARTITION, sourceSubscriptionKey } from '../state/tableLayout.js';
import type { SourceSubscriptionStore } from './SourceSubscriptionStore.js';
import { compact } from './stateUpdates.js';
import { SOURCE_SUBSCRIPTION_COUNT_NAMES as COUNT_NAMES } from './types.js';
import type { SourceSubscriptionState } from './types.js';

type Item = Record<string, unknown> & { pk: string; sk: string };

/** State fields a decision may clear: a replace removes them when absent. */
const OPTIONAL_FIELDS = [
  'topic',
  'heartbeatPeriodSeconds',
  'status',
  'lastEventNumber',
  'lastEventAt',
  'lastNotificationAt',
  'lastHeartbeatAt',
  'caughtUpSourceAt',
  'overdueNoticedAt',
  'pendingGaps',
] as const satisfies readonly (keyof SourceSubscriptionState)[];

const toItem = (state: SourceSubscriptionState, revision: number): Item => {
  const { counts, subscriptionId, ...rest } = state;
  return compact({
    ...sourceSubscriptionKey(subscriptionId),
    ...rest,
    resourceTypes: [...state.resourceTypes],
    ...counts,
    revision,
  }) as Item;
};

const toState = (item: Item): SourceSubscriptionState => {
  const { pk: _pk, sk, ...rest } = item;
  const counts = Object.fromEntries(COUNT_NAMES.map((name) => [name, Number(rest[name] ?? 0)]));
  for (const name of COUNT_NAMES) delete rest[name];
  return { ...(rest as object), subscriptionId: sk, counts } as unknown as SourceSubscriptionState;
};

/**
 * SourceSubscriptionStore on the connector's single DynamoDB table: one item per source Subscription
 * under partition `NOTIFYSOURCE`. `replace` is an UpdateItem conditional on the revision read, so of
 * two concurrent notifications exactly one writes; the other re-reads (see updateSourceState). It sets
 * every field but `gapsRepaired`, which only `addRepaired` adds to: a catch-up finishing while a
 * notification is decided neither fails that decision nor loses its count. Reads are strongly
 * consistent so a re-read sees the winner.
 *
 * @example
 * const store = new DynamoSourceSubscriptionStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName });
 */
export class DynamoSourceSubscriptionStore implements SourceSubscriptionStore {
  private readonly client: Pick<DynamoDBDocumentClient, 'send'>;
  private readonly tableName: string;

  public constructor(options: { client: Pick<DynamoDBDocumentClient, 'send'>; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  public async get(subscriptionId: string): Promise<SourceSubscriptionState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: sourceSubscriptionKey(subscriptionId),
        ConsistentRead: true,
      }),
    );
    return Item ? toState(Item as Item) : undefined;
  }

  public async list(): Promise<SourceSubscriptionState[]> {
    const items = await queryPartition(this.client, this.tableName, SOURCE_SUBSCRIPTION_PARTITION);
    return (items as Item[]).map(toState);
  }

  public async create(state: SourceSubscriptionState): Promise<boolean> {
    return this.putIf(
      new PutCommand({
        TableName: this.tableName,
        Item: toItem(state, state.revision),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  public async replace(state: SourceSubscriptionState, expectedRevision: number): Promise<boolean> {
    // Every attribute but the key and gapsRepaired, which only addRepaired changes (so the two never race).
    const { pk: _pk, sk: _sk, gapsRepaired: _repaired, ...fields } = toItem(state, expectedRevision + 1);
    const names = Object.keys(fields);
    const cleared = OPTIONAL_FIELDS.filter((name) => !(name in fields));
    const alias = (name: string) => `#${name}`;
    return sendConditional(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: sourceSubscriptionKey(state.subscriptionId),
        UpdateExpression:
          `SET ${names.map((name) => `${alias(name)} = :${name}`).join(', ')}` +
          (cleared.length > 0 ? ` REMOVE ${cleared.map(alias).join(', ')}` : ''),
        ConditionExpression: '#revision = :expected',
        ExpressionAttributeNames: Object.fromEntries(
          [...names, ...cleared, 'revision'].map((name) => [alias(name), name]),
        ),
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((name) => [`:${name}`, fields[name]])),
          ':expected': expectedRevision,
        },
      }),
    );
  }

  public async addRepaired(subscriptionId: string, gaps: number): Promise<void> {
    await sendConditional(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: sourceSubscriptionKey(subscriptionId),
        UpdateExpression: 'ADD gapsRepaired :gaps',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':gaps': gaps },
      }),
    );
  }

  /** Sends a conditional put: true when written, false when its condition did not hold. */
  private async putIf(command: PutCommand): Promise<boolean> {
    try {
      await this.client.send(command);
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
