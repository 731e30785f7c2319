import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { sendConditional } from '../state/sendConditional.js';
import { jobKey } from '../state/tableLayout.js';
import { finishJobCommand, markNextEnqueuedCommand, streamName } from '../state/jobUpdates.js';
import { JOB_RETENTION_DAYS } from './constants.js';
import type { JobStore } from './JobStore.js';
import type { BackfillJob, FailedId, JobState, NotificationJob, PageCommit, StreamCursor } from './types.js';

/** Stored shape of a job item (`pk = JOB#{jobId}`, `sk = JOB`). Streams are a map `s{n}` -> cursor. */
interface JobItem {
  jobId: string;
  subscriptionId?: string;
  notification?: NotificationJob;
  state: JobState;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  reason?: string;
  readCount: number;
  matchedCount: number;
  enqueuedCount: number;
  skippedCount: number;
  failedCount: number;
  /** Absent on items written before conflicts were counted. */
  conflictCount?: number;
  streamCount: number;
  streamsDone: number;
  streams: Record<string, StreamCursor>;
  /** `{ key, reason }` maps; plain `Type/id` strings on items written before reasons were kept. */
  failedIds: (FailedId | string)[];
  expiresAt: number;
}

const toJob = (item: JobItem): BackfillJob => ({
  jobId: item.jobId,
  ...(item.subscriptionId === undefined ? {} : { subscriptionId: item.subscriptionId }),
  ...(item.notification === undefined ? {} : { notification: item.notification }),
  state: item.state,
  createdAt: item.createdAt,
  ...(item.startedAt ? { startedAt: item.startedAt } : {}),
  ...(item.endedAt ? { endedAt: item.endedAt } : {}),
  ...(item.reason ? { reason: item.reason } : {}),
  counts: {
    read: item.readCount,
    matched: item.matchedCount,
    enqueued: item.enqueuedCount,
    skipped: item.skippedCount,
    failed: item.failedCount,
    conflicts: item.conflictCount ?? 0,
  },
  streams: Array.from({ length: item.streamCount }, (_, index) => {
    const cursor = item.streams[streamName(index)];
    if (!cursor) throw new Error(`Job item lacks stream ${index}`);
    return cursor;
  }),
  streamsDone: item.streamsDone,
  failedIds: (item.failedIds ?? []).map((entry) => (typeof entry === 'string' ? { key: entry } : entry)),
});

/**
 * JobStore on the connector's single DynamoDB table (shared/state/tableLayout.ts `jobKey`). Each
 * page commit is one conditional UpdateItem on the job item (cursor at `page - 1` -> `page`, counts
 * added with ADD), so a duplicate invocation can never count a page twice; no transactions needed.
 *
 * @example
 * const jobs = new DynamoJobStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName });
 */
export class DynamoJobStore implements JobStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  public constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  public async create(job: BackfillJob): Promise<void> {
    const item: JobItem & { pk: string; sk: string } = {
      ...jobKey(job.jobId),
      jobId: job.jobId,
      ...(job.subscriptionId === undefined ? {} : { subscriptionId: job.subscriptionId }),
      ...(job.notification === undefined
        ? {}
        : { notification: JSON.parse(JSON.stringify(job.notification)) as NotificationJob }),
      state: job.state,
      createdAt: job.createdAt,
      readCount: job.counts.read,
      matchedCount: job.counts.matched,
      enqueuedCount: job.counts.enqueued,
      skippedCount: job.counts.skipped,
      failedCount: job.counts.failed,
      conflictCount: job.counts.conflicts,
      streamCount: job.streams.length,
      streamsDone: job.streamsDone,
      // JSON round trip drops undefined optional fields, which the marshaller rejects.
      streams: Object.fromEntries(
        job.streams.map((cursor, index) => [
          streamName(index),
          JSON.parse(JSON.stringify(cursor)) as StreamCursor,
        ]),
      ),
      failedIds: job.failedIds.map((failed) => ({ ...failed })),
      expiresAt: Math.floor(Date.parse(job.createdAt) / 1000) + JOB_RETENTION_DAYS * 86_400,
    };
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  public async get(jobId: string): Promise<BackfillJob | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: jobKey(jobId), ConsistentRead: true }),
    );
    return Item ? toJob(Item as JobItem) : undefined;
  }

  public async markRunning(jobId: string, at: string): Promise<void> {
    await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: jobKey(jobId),
        UpdateExpression: 'SET #state = :running, startedAt = :at',
        ConditionExpression: '#state = :queued',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued', ':at': at },
      }),
    );
  }

  public async commitPage(jobId: string, commit: PageCommit): Promise<boolean> {
    const done = commit.nextUrl === undefined;
    const sets = [
      '#streams.#s.#page = :page',
      '#streams.#s.nextEnqueued = :done',
      '#streams.#s.#done = :done',
      '#streams.#s.#read = if_not_exists(#streams.#s.#read, :zero) + :read',
      '#streams.#s.#enqueued = if_not_exists(#streams.#s.#enqueued, :zero) + :enqueued',
      ...(done ? [] : ['#streams.#s.nextUrl = :next']),
      ...(commit.failedIds.length > 0
        ? ['failedIds = list_append(if_not_exists(failedIds, :empty), :ids)']
        : []),
    ];
    const expression =
      `SET ${sets.join(', ')}` +
      ' ADD readCount :read, matchedCount :matched, enqueuedCount :enqueued, skippedCount :skipped,' +
      ' failedCount :failed, conflictCount :conflicts, streamsDone :streamDone' +
      (done ? ' REMOVE #streams.#s.nextUrl' : '');
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: jobKey(jobId),
        UpdateExpression: expression,
        ConditionExpression: '#streams.#s.#page = :previous',
        ExpressionAttributeNames: {
          '#streams': 'streams',
          '#s': streamName(commit.stream),
          '#page': 'page',
          '#done': 'done',
          '#read': 'read',
          '#enqueued': 'enqueued',
        },
        ExpressionAttributeValues: {
          ':page': commit.page,
          ':previous': commit.page - 1,
          ':done': done,
          ...(done ? {} : { ':next': commit.nextUrl }),
          ...(commit.failedIds.length > 0
            ? { ':empty': [], ':ids': commit.failedIds.map((failed) => ({ ...failed })) }
            : {}),
          ':read': commit.counts.read,
          ':matched': commit.counts.matched,
          ':enqueued': commit.counts.enqueued,
          ':skipped': commit.counts.skipped,
          ':failed': commit.counts.failed,
          ':conflicts': commit.counts.conflicts,
          ':streamDone': done ? 1 : 0,
          ':zero': 0,
        },
      }),
    );
  }

  public async markNextEnqueued(jobId: string, stream: number, page: number): Promise<void> {
    await this.conditional(markNextEnqueuedCommand(this.tableName, jobKey(jobId), stream, page));
  }

  public async completeIfDone(jobId: string, at: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: jobKey(jobId),
        UpdateExpression: 'SET #state = :completed, endedAt = :at',
        ConditionExpression: '#state IN (:queued, :running) AND streamsDone >= streamCount',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':completed': 'completed',
          ':queued': 'queued',
          ':running': 'running',
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
  ): Promise<BackfillJob | undefined> {
    await this.conditional(finishJobCommand(this.tableName, jobKey(jobId), state, reason, at));
    return this.get(jobId);
  }

  private conditional(command: UpdateCommand): Promise<boolean> {
    return sendConditional(this.client, command);
  }
}
