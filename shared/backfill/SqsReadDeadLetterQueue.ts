import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { deadLetterAttributes } from '../messages/deadLetter.js';
import type { ReadDeadLetter, ReadDeadLetterQueue } from './readDeadLetters.js';

/**
 * The backfill DLQ as the worker writes given-up reads to it: the body is the `reread` work message
 * (a redrive to the backfill queue reads the resource again), the cause in the same message attributes
 * as a delivery dead letter's, so `hlc dlq list` shows it alike. Retries entries SQS reports as
 * `Failed` once before throwing: a read is never given up without its dead letter.
 */
export class SqsReadDeadLetterQueue implements ReadDeadLetterQueue {
  public constructor(private readonly options: { client: SQSClient; queueUrl: string }) {}

  public async send(letters: readonly ReadDeadLetter[]): Promise<void> {
    for (let start = 0; start < letters.length; start += 10) {
      let entries = letters.slice(start, start + 10).map((letter, index) => {
        const key = letter.message.ids[0] ?? '';
        const [resourceType, ...id] = key.split('/');
        return {
          Id: String(index),
          MessageBody: JSON.stringify(letter.message),
          MessageAttributes: deadLetterAttributes(letter.kind, letter.cause, {
            messageId: `read:${letter.message.jobId}:${key}`,
            ...(resourceType ? { resourceType, id: id.join('/') } : {}),
          }),
        };
      });
      for (let attempt = 1; entries.length > 0; attempt += 1) {
        const { Failed } = await this.options.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }),
        );
        const failedIds = new Set((Failed ?? []).map((entry) => entry.Id));
        entries = entries.filter((entry) => failedIds.has(entry.Id));
        if (entries.length > 0 && attempt >= 2) {
          const codes = (Failed ?? []).map((entry) => entry.Code).join(', ');
          throw new Error(`SQS rejected ${entries.length} read dead letter(s): ${codes}`);
        }
      }
    }
  }
}
