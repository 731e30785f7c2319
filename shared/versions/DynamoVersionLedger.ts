import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../state/isConditionalCheckFailed.js';
import { ledgerKey } from '../state/tableLayout.js';
import { numericVersion } from './compareVersions.js';
import { type UnversionedWrite } from './VersionLedger.js';
import { nextAssignedVersion } from './nextAssignedVersion.js';
import { sourceVersionDecision } from './sourceVersionDecision.js';
import type { LedgerEntry, RecordResult, SourceVersionGuard, VersionLedger } from './VersionLedger.js';

/** The narrow DocumentClient surface the ledger uses (a real `DynamoDBDocumentClient` satisfies it). */
export type LedgerDocumentClient = Pick<DynamoDBDocumentClient, 'send'>;

export interface DynamoVersionLedgerOptions {
  readonly client: LedgerDocumentClient;
  readonly tableName: string;
  /** Attempts of the optimistic read-modify-write loop before giving up (default 100: a burst of N writers to one resource needs up to N). */
  readonly maxAttempts?: number;
  /** Base backoff between contended attempts, ms (default 5; jittered, exponential, capped at 200). */
  readonly backoffMs?: number;
}

/** Thrown when a ledger write stays contended after every attempt; the request is answered 5xx. */
export class LedgerContentionError extends Error {
  public constructor(attempts: number) {
    super(`Version ledger write still contended after ${attempts} attempts`);
    this.name = 'LedgerContentionError';
  }
}

interface LedgerItem {
  readonly versionId: string;
  readonly lastUpdated: string;
  readonly deleted: boolean;
  readonly contentHash?: string;
  /** A list (`L`) as this class writes it; a string set is read too. */
  readonly endpoints?: unknown;
}

const BATCH_GET_LIMIT = 100;
/** The ledger item's partition key prefix (`RES#`), as `ledgerKey` builds it. */
const LEDGER_PK_PREFIX = ledgerKey('').pk;

/**
 * The version ledger in the connector's DynamoDB table (`RES#{Type}/{id}` / `LATEST`), with the
 * semantics of `InMemoryVersionLedger`. Every write is conditional: a source version is written only
 * when it is newer than the stored one (integers compared as numbers through `versionNum`, other ids
 * through `lastUpdatedMs`), and connector-assigned versions are allocated by compare-and-set, retried
 * when concurrent writers race. On a failed condition the stored item (`ALL_OLD`, or a consistent
 * read where the endpoint does not return it) says whether the write was stale or a retry.
 * The endpoints a version was enqueued for are stored with it, in the same put.
 *
 * @example
 * const ledger = new DynamoVersionLedger({ client: DynamoDBDocumentClient.from(dynamo), tableName });
 * const { status } = await ledger.recordSourceVersion('Patient/1', { versionId: '3', lastUpdated, deleted: false });
 */
export class DynamoVersionLedger implements VersionLedger {
  private readonly client: LedgerDocumentClient;
  private readonly tableName: string;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  public constructor(options: DynamoVersionLedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.maxAttempts = options.maxAttempts ?? 100;
    this.backoffMs = options.backoffMs ?? 5;
  }

  public async getLatest(keys: readonly string[]): Promise<Map<string, LedgerEntry>> {
    const found = new Map<string, LedgerEntry>();
    const unique = [...new Set(keys)];
    // Stryker disable next-line EqualityOperator: at start === length the batch is empty and nothing is sent
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] = unique
        .slice(start, start + BATCH_GET_LIMIT)
        .map((key) => ledgerKey(key));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt >= this.maxAttempts) throw new LedgerContentionError(attempt);
        if (attempt > 0) await this.pause(attempt);
        const result = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const pk = item.pk as string;
          found.set(pk.slice(LEDGER_PK_PREFIX.length), toEntry(item));
        }
        pending = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }

  public async recordSourceVersion(
    key: string,
    entry: LedgerEntry,
    guard?: SourceVersionGuard,
  ): Promise<RecordResult> {
    const result = await this.decideSourceVersion(key, entry, guard);
    return result.status === 'stale' && guard?.countStale ? this.countStale(key, result) : result;
  }

  private async decideSourceVersion(
    key: string,
    entry: LedgerEntry,
    guard: SourceVersionGuard | undefined,
  ): Promise<RecordResult> {
    const numeric = numericVersion(entry.versionId);
    const ms = Date.parse(entry.lastUpdated);
    if (numeric !== undefined || !Number.isNaN(ms)) {
      // One round trip in the common case: write when newer (and, with a guard, not an implausible
      // jump), learn the stored item when not.
      const condition =
        numeric !== undefined
          ? numericCondition(numeric, ms, guard)
          : {
              expression: 'attribute_not_exists(pk) OR (versionId <> :v AND lastUpdatedMs < :ms)',
              values: { ':v': entry.versionId, ':ms': ms },
            };
      const outcome = await this.conditionalPut(key, entry, condition.expression, condition.values);
      if (outcome.written) return { status: 'recorded', latest: entry };
      const latest = outcome.latest;
      if (!latest) return this.decideSourceVersion(key, entry, guard); // deleted meanwhile (never, in practice)
      // Stale, a retry, refused, or (mixed numeric/opaque ids, equal instants) newer by compareVersions:
      // the compare-and-set loop decides from the stored item before it writes.
      return this.recordByCompareAndSet(key, entry, latest, guard);
    }
    return this.recordByCompareAndSet(key, entry, await this.read(key), guard);
  }

  /** Counts one more stale write against the stored version, if it is still `result.latest`. */
  private async countStale(key: string, result: RecordResult): Promise<RecordResult> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ledgerKey(key),
          UpdateExpression: 'ADD staleWrites :one',
          ConditionExpression: 'versionId = :v AND lastUpdated = :lu',
          ExpressionAttributeValues: {
            ':one': 1,
            ':v': result.latest.versionId,
            ':lu': result.latest.lastUpdated,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const count = Number(Attributes?.staleWrites);
      return Number.isFinite(count) ? { ...result, staleWrites: count } : result;
    } catch (error) {
      // A newer version was recorded meanwhile: its count starts afresh, this write is not counted.
      if (isConditionalCheckFailed(error)) return result;
      throw error;
    }
  }

  public async assignNextVersion(key: string, write: UnversionedWrite): Promise<RecordResult> {
    let latest: LedgerEntry | undefined;
    for (let attempt = 0; attempt < this.maxAttempts; attempt += 1) {
      if (attempt > 0) await this.pause(attempt);
      const decision = nextAssignedVersion(latest, write);
      if ('repeat' in decision) return decision.repeat;
      const entry = decision.next;
      // The first attempt assumes a new resource, so creating one costs a single call.
      const outcome = await this.conditionalPut(key, entry, ...this.unchangedSince(latest));
      if (outcome.written) return { status: 'recorded', latest: entry };
      latest = outcome.latest;
    }
    throw new LedgerContentionError(this.maxAttempts);
  }

  public async resetTo(key: string, entry: LedgerEntry, expected: LedgerEntry): Promise<boolean> {
    const outcome = await this.conditionalPut(key, entry, ...this.unchangedSince(expected));
    return outcome.written;
  }

  private async recordByCompareAndSet(
    key: string,
    entry: LedgerEntry,
    initial: LedgerEntry | undefined,
    guard: SourceVersionGuard | undefined,
  ): Promise<RecordResult> {
    let latest = initial;
    for (let attempt = 0; attempt < this.maxAttempts; attempt += 1) {
      if (attempt > 0) await this.pause(attempt);
      const decided = sourceVersionDecision(latest, entry, guard);
      if (decided) return decided;
      const outcome = await this.conditionalPut(key, entry, ...this.unchangedSince(latest));
      if (outcome.written) return { status: 'recorded', latest: entry };
      latest = outcome.latest;
    }
    throw new LedgerContentionError(this.maxAttempts);
  }

  /** A condition that holds only while the stored item is still `latest` (or still absent). */
  private unchangedSince(latest: LedgerEntry | undefined): [string, Record<string, unknown>] {
    return latest
      ? ['versionId = :pv AND lastUpdated = :plu', { ':pv': latest.versionId, ':plu': latest.lastUpdated }]
      : ['attribute_not_exists(pk)', {}];
  }

  private async conditionalPut(
    key: string,
    entry: LedgerEntry,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<{ written: true } | { written: false; latest: LedgerEntry | undefined }> {
    const numeric = numericVersion(entry.versionId);
    const ms = Date.parse(entry.lastUpdated);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...ledgerKey(key),
            versionId: entry.versionId,
            lastUpdated: entry.lastUpdated,
            deleted: entry.deleted,
            ...(numeric === undefined ? {} : { versionNum: numeric }),
            ...(Number.isNaN(ms) ? {} : { lastUpdatedMs: ms }),
            ...(entry.contentHash === undefined ? {} : { contentHash: entry.contentHash }),
            // A list, not a string set: a version enqueued for no endpoint records an empty one.
            ...(entry.endpoints === undefined ? {} : { endpoints: [...entry.endpoints] }),
          },
          ConditionExpression: condition,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { written: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const old = (error as { Item?: Record<string, unknown> }).Item;
      // Endpoints without ReturnValuesOnConditionCheckFailure (dynalite) return no item: read it.
      return { written: false, latest: old ? toEntry(unmarshallShallow(old)) : await this.read(key) };
    }
  }

  private async read(key: string): Promise<LedgerEntry | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: ledgerKey(key), ConsistentRead: true }),
    );
    return Item ? toEntry(Item) : undefined;
  }

  private pause(attempt: number): Promise<void> {
    const ceiling = Math.min(200, this.backoffMs * 2 ** Math.min(attempt, 6));
    return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
  }
}

/**
 * The put condition of a numeric source version: newer than the stored numeric version and, with a
 * guard, at most `maxVersionJump` past it unless the write's own `lastUpdated` is newer.
 */
const numericCondition = (
  numeric: number,
  ms: number,
  guard: SourceVersionGuard | undefined,
): { expression: string; values: Record<string, unknown> } => {
  if (!guard) {
    return { expression: 'attribute_not_exists(pk) OR versionNum < :n', values: { ':n': numeric } };
  }
  const newer = guard.ownLastUpdated && !Number.isNaN(ms);
  return {
    expression: `attribute_not_exists(pk) OR (versionNum < :n AND (versionNum >= :floor${newer ? ' OR lastUpdatedMs < :ms' : ''}))`,
    values: { ':n': numeric, ':floor': numeric - guard.maxVersionJump, ...(newer ? { ':ms': ms } : {}) },
  };
};

const toEntry = (item: Record<string, unknown>): LedgerEntry => {
  const entry = item as unknown as LedgerItem;
  return {
    versionId: String(entry.versionId),
    lastUpdated: String(entry.lastUpdated),
    deleted: entry.deleted === true,
    ...(typeof entry.contentHash === 'string' ? { contentHash: entry.contentHash } : {}),
    ...(Array.isArray(entry.endpoints) || entry.endpoints instanceof Set
      ? { endpoints: [...(entry.endpoints as Iterable<unknown>)].filter(isString) }
      : {}),
  };
};

const isString = (value: unknown): value is string => typeof value === 'string';

/**
 * `ALL_OLD` items on the error arrive as raw AttributeValues even through the DocumentClient.
 * Numbers are left raw: `toEntry` reads only strings, booleans and lists.
 */
const unmarshallShallow = (item: Record<string, unknown>): Record<string, unknown> => {
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    // Stryker disable next-line ConditionalExpression: a truthy primitive has none of the properties read below
    if (value && typeof value === 'object') {
      const attribute = value as {
        S?: string;
        BOOL?: boolean;
        L?: readonly { S?: string }[];
        SS?: readonly string[];
      };
      if (attribute.S !== undefined) plain[name] = attribute.S;
      else if (attribute.BOOL !== undefined) plain[name] = attribute.BOOL;
      else if (attribute.L !== undefined) plain[name] = attribute.L.map((element) => element.S);
      else if (attribute.SS !== undefined) plain[name] = [...attribute.SS];
      else plain[name] = value;
    } else {
      plain[name] = value;
    }
  }
  return plain;
};
