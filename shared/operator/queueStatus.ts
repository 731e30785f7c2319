import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Depth of one queue, as SQS reports it (approximate by design). */
export interface QueueDepth {
  readonly name: string;
  readonly url: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

const DEPTH_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

/**
 * Reads the depth of each named queue (skipping names without a URL). SQS does not expose the age of
 * the oldest message through its API; that is the CloudWatch metric `ApproximateAgeOfOldestMessage`
 * (see `oldestMessageAge` for the local-mode figure).
 *
 * @example
 * const depths = await queueStatus(sqs, { delivery: url1, dlq: url2 });
 */
export const queueStatus = async (
  sqs: Pick<SQSClient, 'send'>,
  queues: Readonly<Record<string, string | undefined>>,
): Promise<QueueDepth[]> => {
  const entries = Object.entries(queues).filter((entry): entry is [string, string] => !!entry[1]);
  return Promise.all(
    entries.map(async ([name, url]) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...DEPTH_ATTRIBUTES] }),
      );
      const read = (key: (typeof DEPTH_ATTRIBUTES)[number]) => Number(Attributes[key] ?? 0);
      return {
        name,
        url,
        visible: read('ApproximateNumberOfMessages'),
        inFlight: read('ApproximateNumberOfMessagesNotVisible'),
        delayed: read('ApproximateNumberOfMessagesDelayed'),
      };
    }),
  );
};
