import { UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Updates that backfill and reconcile jobs share: both keep one item per job with a `streams` map
 * (`s{n}` -> cursor) and end in the same states. Only the item's key differs.
 */
type JobKey = Record<string, string>;

export const streamName = (index: number): string => `s${index}`;

/** Records that the page after `page` of a stream is on the queue (unless the stream moved on). */
export const markNextEnqueuedCommand = (
  tableName: string,
  key: JobKey,
  stream: number,
  page: number,
): UpdateCommand =>
  new UpdateCommand({
    TableName: tableName,
    Key: key,
    UpdateExpression: 'SET #streams.#s.nextEnqueued = :true',
    ConditionExpression: '#streams.#s.#page = :page',
    ExpressionAttributeNames: { '#streams': 'streams', '#s': streamName(stream), '#page': 'page' },
    ExpressionAttributeValues: { ':true': true, ':page': page },
  });

/** Ends a queued or running job as failed or cancelled; a job that already ended keeps its state. */
export const finishJobCommand = (
  tableName: string,
  key: JobKey,
  state: 'failed' | 'cancelled',
  reason: string,
  at: string,
): UpdateCommand =>
  new UpdateCommand({
    TableName: tableName,
    Key: key,
    UpdateExpression: 'SET #state = :state, reason = :reason, endedAt = :at',
    ConditionExpression: 'attribute_exists(pk) AND #state IN (:queued, :running)',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: {
      ':state': state,
      ':reason': reason,
      ':at': at,
      ':queued': 'queued',
      ':running': 'running',
    },
  });
