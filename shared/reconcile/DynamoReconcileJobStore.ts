import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { sendConditional } from '../state/sendConditional.js';
import { RECONCILE_ORPHAN_PREFIX, reconcileJobKey, reconcileOrphanKey } from '../state/tableLayout.js';
import { finishJobCommand, markNextEnqueuedCommand, streamName } from '../state/jobUpdates.js';
import { RECONCILE_RETENTION_DAYS } from './constants.js';
import type { ReconcileJobStore } from './ReconcileJobStore.js';
import type {
  JobState,
  Outcome,
  ReconcileJob,
  ReconcilePageCommit,
  ReconcileScope,
  ReconcileStream,
  Tally,
} from './types.js';
import { OUTCOMES, emptyTally } from './types.js';

/** Count attributes are top-level (`n|{Type}|{outcome}`): ADD creates them, no map to initialise. */
const COUNT_PREFIX = 'n|';
const countAttribute = (type: string, outcome: Outcome) => `${COUNT_PREFIX}${type}|${outcome}`;
/** Deletes reserved per prune batch (`prune|{batch}`), top-level like the counts; their sum is PRUNE_TOTAL. */
const reservationAttribute = (batch: string) => `prune|${batch}`;
const PRUNE_TOTAL = 'pruneReserved';
/** BatchGetItem's limit of keys per request. */
const BATCH_GET_LIMIT = 100;
/** Orphan items written at once. */
const PUT_CONCURRENCY = 8;
/** Rounds of UnprocessedKeys retried before a look-up fails (SQS redelivers the page). */
const MAX_BATCH_ROUNDS = 10;

type Item = Record<string, unknown>;

const toJob = (item: Item): ReconcileJob => {
  const counts: Record<string, Tally> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(COUNT_PREFIX)) continue;
    const [type, outcome] = name.slice(COUNT_PREFIX.length).split('|') as [string, Outcome];
    if (!OUTCOMES.includes(outcome)) continue;
    counts[type] ??= emptyTally();
    counts[type][outcome] = Number(value);
  }
  const streamCount = Number(item.streamCount ?? 0);
  const streams = (item.streams ?? {}) as Record<string, ReconcileStream>;
  return {
    jobId: String(item.jobId),
    subscriptionId: String(item.subscriptionId),
    mode: item.mode as ReconcileJob['mode'],
    contentHash: item.contentHash === true,
    scope: JSON.parse(String(item.scope)) as ReconcileScope,
    ...(typeof item.pruneConfirmation === 'number' ? { pruneConfirmation: item.pruneConfirmation } : {}),
    ...(typeof item.compareJobId === 'string' ? { compareJobId: item.compareJobId } : {}),
    ...(typeof item.target === 'string' ? { target: item.target } : {}),
    state: item.state as JobState,
    createdAt: String(item.createdAt),
    ...(typeof item.startedAt === 'string' ? { startedAt: item.startedAt } : {}),
    ...(typeof item.endedAt === 'string' ? { endedAt: item.endedAt } : {}),
    ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
    planned: item.planned === true,
    streams: Array.from({ length: streamCount }, (_, index) => {
      const cursor = streams[streamName(index)];
      if (!cursor) throw new Error(`Reconcile job item lacks stream ${index}`);
      return cursor;
    }),
    streamsDone: Number(item.streamsDone ?? 0),
    counts,
    samples: (item.samples as string[] | undefined) ?? [],
    ...(typeof item.idLists === 'string' ? { idLists: item.idLists } : {}),
  };
};

/** JSON round trip: drops undefined optional fields, which the marshaller rejects. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * ReconcileJobStore on the connector's DynamoDB table (`RECONCILE#{jobId}` / `JOB`). A page commit is
 * one conditional UpdateItem (cursor at `page - 1` -> `page`, counts added with ADD), so a duplicate
 * invocation never counts a page twice.
 *
 * @example
 * const jobs = new DynamoReconcileJobStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName });
 */
export class DynamoReconcileJobStore implements ReconcileJobStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  public constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  public async create(job: ReconcileJob): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: plain({
          ...reconcileJobKey(job.jobId),
          jobId: job.jobId,
          subscriptionId: job.subscriptionId,
          mode: job.mode,
          contentHash: job.contentHash,
          scope: JSON.stringify(job.scope),
          pruneConfirmation: job.pruneConfirmation,
          compareJobId: job.compareJobId,
          target: job.target,
          state: job.state,
          createdAt: job.createdAt,
          planned: false,
          streamCount: 0,
          streamsDone: 0,
          streams: {},
          samples: [],
          idLists: job.idLists,
          expiresAt: Math.floor(Date.parse(job.createdAt) / 1000) + RECONCILE_RETENTION_DAYS * 86_400,
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  public async get(jobId: string): Promise<ReconcileJob | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: reconcileJobKey(jobId), ConsistentRead: true }),
    );
    return Item ? toJob(Item) : undefined;
  }

  public async plan(jobId: string, streams: readonly ReconcileStream[], at: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: reconcileJobKey(jobId),
        UpdateExpression:
          'SET planned = :true, streams = :streams, streamCount = :count, #state = :running, startedAt = :at',
        ConditionExpression: 'planned = :false AND #state = :queued',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':true': true,
          ':false': false,
          ':streams': Object.fromEntries(streams.map((cursor, index) => [streamName(index), plain(cursor)])),
          ':count': streams.length,
          ':running': 'running',
          ':queued': 'queued',
          ':at': at,
        },
      }),
    );
  }

  public async commitPage(jobId: string, commit: ReconcilePageCommit): Promise<boolean> {
    const done = commit.nextUrl === undefined;
    const names: Record<string, string> = {
      '#streams': 'streams',
      '#s': streamName(commit.stream),
      '#page': 'page',
      '#done': 'done',
    };
    const values: Record<string, unknown> = {
      ':page': commit.page,
      ':previous': commit.page - 1,
      ':done': done,
      ':streamDone': done ? 1 : 0,
    };
    const sets = [
      '#streams.#s.#page = :page',
      '#streams.#s.nextEnqueued = :done',
      '#streams.#s.#done = :done',
    ];
    if (!done) {
      sets.push('#streams.#s.nextUrl = :next');
      values[':next'] = commit.nextUrl;
    }
    if (commit.samples.length > 0) {
      sets.push('samples = list_append(if_not_exists(samples, :empty), :samples)');
      values[':empty'] = [];
      values[':samples'] = [...commit.samples];
    }
    const adds = ['streamsDone :streamDone'];
    let index = 0;
    for (const [type, tally] of Object.entries(commit.counts)) {
      for (const [outcome, value] of Object.entries(tally)) {
        if (!value) continue;
        names[`#c${index}`] = countAttribute(type, outcome as Outcome);
        values[`:c${index}`] = value;
        adds.push(`#c${index} :c${index}`);
        index += 1;
      }
    }
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: reconcileJobKey(jobId),
        UpdateExpression:
          `SET ${sets.join(', ')} ADD ${adds.join(', ')}` + (done ? ' REMOVE #streams.#s.nextUrl' : ''),
        ConditionExpression: '#streams.#s.#page = :previous',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  public async markNextEnqueued(jobId: string, stream: number, page: number): Promise<void> {
    await this.conditional(markNextEnqueuedCommand(this.tableName, reconcileJobKey(jobId), stream, page));
  }

  public async completeIfDone(jobId: string, at: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: reconcileJobKey(jobId),
        UpdateExpression: 'SET #state = :completed, endedAt = :at',
        ConditionExpression: '#state = :running AND planned = :true AND streamsDone >= streamCount',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':completed': 'completed',
          ':running': 'running',
          ':true': true,
          ':at': at,
        },
      }),
    );
  }

  public async finish(
    jobId: string,
    state: 'failed' | 'cancelled',
    reason: string,
    at: string,
  ): Promise<ReconcileJob | undefined> {
    await this.conditional(finishJobCommand(this.tableName, reconcileJobKey(jobId), state, reason, at));
    return this.get(jobId);
  }

  public async recordOrphans(jobId: string, keys: readonly string[]): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + RECONCILE_RETENTION_DAYS * 86_400;
    const pending = [...new Set(keys)];
    const worker = async () => {
      for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...reconcileOrphanKey(jobId, key), expiresAt },
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, pending.length) }, worker));
  }

  public async listedOrphans(jobId: string, keys: readonly string[]): Promise<Set<string>> {
    const listed = new Set<string>();
    const unique = [...new Set(keys)];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] = unique
        .slice(start, start + BATCH_GET_LIMIT)
        .map((key) => reconcileOrphanKey(jobId, key));
      for (let round = 0; pending.length > 0; round += 1) {
        if (round >= MAX_BATCH_ROUNDS) throw new Error('Orphan look-up still throttled; retry the page');
        const result = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'sk' },
            },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? [])
          listed.add(String(item.sk).slice(RECONCILE_ORPHAN_PREFIX.length));
        pending = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return listed;
  }

  public async reservePrunes(jobId: string, batch: string, count: number, limit: number): Promise<boolean> {
    if (count > limit) return false;
    const names = { '#batch': reservationAttribute(batch), '#total': PRUNE_TOTAL };
    // First reservation of this batch: only while the job's total stays within the limit.
    const first = await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: reconcileJobKey(jobId),
        UpdateExpression: 'SET #batch = :count ADD #total :count',
        ConditionExpression:
          'attribute_exists(pk) AND attribute_not_exists(#batch) AND (attribute_not_exists(#total) OR #total <= :max)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':count': count, ':max': limit - count },
      }),
    );
    if (first) return true;
    // A redone batch: its earlier reservation covers it, or it reserves only the difference.
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: reconcileJobKey(jobId), ConsistentRead: true }),
    );
    const reserved = Item?.[reservationAttribute(batch)];
    if (typeof reserved !== 'number') return false;
    if (count <= reserved) return true;
    const extra = count - reserved;
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: reconcileJobKey(jobId),
        UpdateExpression: 'SET #batch = :count ADD #total :extra',
        ConditionExpression: '#batch = :reserved AND #total <= :max',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':count': count,
          ':extra': extra,
          ':reserved': reserved,
          ':max': limit - extra,
        },
      }),
    );
  }

  private conditional(command: UpdateCommand): Promise<boolean> {
    return sendConditional(this.client, command);
  }
}
