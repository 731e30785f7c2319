import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { SQSClient } from '@aws-sdk/client-sqs';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** What SQS (JSON protocol) answers to a send or batch call: every entry accepted, with its MD5. */
const answer = (body: unknown): unknown => {
  const request = (body ?? {}) as { Entries?: { Id: string; MessageBody?: string }[]; MessageBody?: string };
  if (request.Entries) {
    return {
      Successful: request.Entries.map((entry) => ({
        Id: entry.Id,
        MessageId: randomUUID(),
        ...(entry.MessageBody === undefined ? {} : { MD5OfMessageBody: md5(entry.MessageBody) }),
      })),
      Failed: [],
    };
  }
  if (request.MessageBody !== undefined) {
    return { MessageId: randomUUID(), MD5OfMessageBody: md5(request.MessageBody) };
  }
  return {};
};

/**
 * An SQSClient whose requests never leave the process: its request handler answers every call as SQS
 * would when it accepts everything (SendMessage, SendMessageBatch, ChangeMessageVisibilityBatch, ...).
 * The SDK's own work (serialising, signing, parsing, MD5 checks) still runs; no socket is opened and
 * nothing is kept. Counts the calls by operation.
 */
export const inProcessSqs = (): { sqs: SQSClient; calls: Map<string, number> } => {
  const calls = new Map<string, number>();
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: 'http://sqs.in-process.local',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    requestHandler: {
      handle: async (request: HttpRequest) => {
        const operation = String(request.headers['x-amz-target'] ?? 'unknown').replace(/^AmazonSQS\./, '');
        calls.set(operation, (calls.get(operation) ?? 0) + 1);
        const body: unknown = request.body;
        // The SDK hands a Uint8Array subclass whose string methods warn: read its bytes.
        const text =
          body instanceof Uint8Array
            ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
            : String(body ?? '{}');
        const json = JSON.stringify(answer(JSON.parse(text)));
        return {
          response: new HttpResponse({
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from(json)]),
          }),
        };
      },
    },
  });
  return { sqs, calls };
};
