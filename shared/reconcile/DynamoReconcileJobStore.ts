import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { sendConditional } from '../state/sendConditional.js';
import { reconcileJobKey } from '../state/tableLayout.js';
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

  private conditional(command: UpdateCommand): Promise<boolean> {
    return sendConditional(this.client, command);
  }
}
