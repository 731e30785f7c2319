/**
 * Counts every AWS SDK v3 request this process makes, per service and operation, with SDK middleware
 * added to each client on its first call (so clients built anywhere, by any factory, are counted). For
 * DynamoDB it asks for `ReturnConsumedCapacity: TOTAL` and sums the capacity units the table reports,
 * which is what on-demand tables bill as request units. Used by `npm run bench -- cost`.
 */
import { Client } from '@smithy/core/client';
import type { Pluggable } from '@smithy/types';

export interface RequestCount {
  /** HTTP requests (retries included: each attempt is billed). */
  requests: number;
  /** What the service bills: SQS counts each started 64 KiB of a request as one request. */
  billed: number;
}

export interface AwsRequestCounts {
  /** `service:Operation`, with ` (FIFO)` for SQS calls on a FIFO queue. */
  readonly requests: Map<string, RequestCount>;
  /** ReceiveMessage calls that returned no message (an idle poller's, billed per hour, not per write). */
  emptyReceives: number;
  readCapacityUnits: number;
  writeCapacityUnits: number;
}

const DYNAMODB_READS = new Set(['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand', 'ScanCommand']);

interface CapacityOutput {
  readonly ConsumedCapacity?: { CapacityUnits?: number } | readonly { CapacityUnits?: number }[];
  readonly Messages?: readonly unknown[];
}

interface CommandContext {
  readonly clientName?: unknown;
  readonly commandName?: unknown;
}

const serviceOf = (context: CommandContext): string => String(context.clientName).replace(/Client$/, '');

/** `service:Operation`, with ` (FIFO)` for SQS calls on a FIFO queue (priced apart). */
const keyOf = (context: CommandContext, input: unknown): string => {
  const service = serviceOf(context);
  const queueUrl = (input as { QueueUrl?: unknown }).QueueUrl;
  const fifo = service === 'SQS' && typeof queueUrl === 'string' && queueUrl.endsWith('.fifo');
  return `${service}:${String(context.commandName).replace(/Command$/, '')}${fifo ? ' (FIFO)' : ''}`;
};

const capacityOf = (output: CapacityOutput): number =>
  [output.ConsumedCapacity ?? []].flat().reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);

/**
 * Starts counting and returns the live counts. Idempotent per client: a client's middleware stack
 * gets the counter once.
 */
export const countAwsRequests = (): AwsRequestCounts => {
  const counts: AwsRequestCounts = {
    requests: new Map(),
    emptyReceives: 0,
    readCapacityUnits: 0,
    writeCapacityUnits: 0,
  };
  const counter: Pluggable<object, object> = {
    applyToStack: (stack) => {
      // Per attempt: the deserialize step runs once per HTTP request, retries included.
      stack.add(
        (next, context) => async (args) => {
          const service = serviceOf(context);
          const key = keyOf(context, args.input);
          const body = (args.request as { body?: unknown }).body;
          const bytes = typeof body === 'string' ? Buffer.byteLength(body) : 0;
          const entry = counts.requests.get(key) ?? { requests: 0, billed: 0 };
          entry.requests += 1;
          entry.billed += service === 'SQS' ? Math.max(1, Math.ceil(bytes / 65_536)) : 1;
          counts.requests.set(key, entry);
          return next(args);
        },
        { step: 'deserialize', name: 'hlcBenchRequestCounter', override: true },
      );
      // Once per call: DynamoDB capacity, and whether a receive came back empty.
      stack.add(
        (next, context) => async (args) => {
          const isDynamo = String(context.clientName).startsWith('DynamoDB');
          const input = args.input as Record<string, unknown>;
          if (isDynamo) input.ReturnConsumedCapacity = 'TOTAL';
          const result = await next(args);
          const output = result.output as CapacityOutput;
          if (isDynamo) {
            const units = capacityOf(output);
            if (DYNAMODB_READS.has(String(context.commandName))) counts.readCapacityUnits += units;
            else counts.writeCapacityUnits += units;
          }
          const entry = counts.requests.get(keyOf(context, args.input));
          if (
            context.commandName === 'ReceiveMessageCommand' &&
            (output.Messages?.length ?? 0) === 0 &&
            entry
          ) {
            // An idle poller's receive: counted apart, it does not scale with the resources written.
            entry.requests -= 1;
            entry.billed -= 1;
            counts.emptyReceives += 1;
          }
          return result;
        },
        { step: 'initialize', name: 'hlcBenchCapacityCounter', override: true },
      );
    },
  };
  const instrumented = new WeakSet<object>();
  const prototype = Client.prototype as unknown as {
    send: (this: { middlewareStack: { use(pluggable: unknown): void } }, ...args: unknown[]) => unknown;
  };
  const send = prototype.send;
  prototype.send = function (...args) {
    if (!instrumented.has(this.middlewareStack)) {
      instrumented.add(this.middlewareStack);
      this.middlewareStack.use(counter);
    }
    return send.apply(this, args);
  };
  return counts;
};
