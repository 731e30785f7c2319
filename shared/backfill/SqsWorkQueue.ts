import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { WorkMessage, WorkQueue } from './types.js';

/**
 * The backfill queue (a standard SQS queue: pages of different jobs and streams are independent;
 * duplicates are absorbed by the job cursor). Sends in batches of 10 and retries entries SQS reports
 * as `Failed` once before throwing, so no page message is dropped silently.
 */
export class SqsWorkQueue<M = WorkMessage> implements WorkQueue<M> {
  private readonly client: SQSClient;
  private readonly queueUrl: string;

  public constructor(options: { client: SQSClient; queueUrl: string }) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
  }

  public async send(messages: readonly M[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      let entries = messages.slice(start, start + 10).map((message, index) => ({
        Id: String(index),
        MessageBody: JSON.stringify(message),
      }));
      for (let attempt = 1; entries.length > 0; attempt += 1) {
        const { Failed } = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
        );
        const failedIds = new Set((Failed ?? []).map((entry) => entry.Id));
        entries = entries.filter((entry) => failedIds.has(entry.Id));
        if (entries.length > 0 && attempt >= 2) {
          const codes = (Failed ?? []).map((entry) => entry.Code).join(', ');
          throw new Error(`SQS rejected ${entries.length} work message(s): ${codes}`);
        }
      }
    }
  }
}
