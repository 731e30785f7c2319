import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

/**
 * A benchmark's worker process: a Lambda handler behind the local event source mapping poller on
 * `queueUrl`, sampling its own memory. Says `ready` over IPC; on `stop` it drains and answers with
 * peak RSS, RSS when ready, peak V8 heap, maxRSS and the poller's stats.
 */
export const runBenchWorker = async (options: {
  readonly handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  readonly queueUrl: string;
  readonly functionName: string;
  readonly batchSize: number;
  readonly concurrency: number;
}): Promise<void> => {
  const { EventSourceMapping } = await import('../../local/eventSourceMapping.js');
  const sqs = new SQSClient({});
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = Math.max(peakRss, rss);
    peakHeap = Math.max(peakHeap, heapUsed);
  }, 50);
  const mapping = new EventSourceMapping({
    sqs,
    queueUrl: options.queueUrl,
    handler: (event, context: Context) => options.handler(event, context),
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    functionName: options.functionName,
    timeoutMs: 900_000,
    onError: (error) =>
      console.error('worker poller error', (error as Error)?.name, (error as Error)?.message),
  });
  await mapping.start();
  const readyRss = process.memoryUsage().rss;
  process.on('message', (message) => {
    if (message !== 'stop') return;
    void mapping.stop().then(() => {
      clearInterval(sampler);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      process.send?.({
        peakRssBytes: peakRss,
        readyRssBytes: readyRss,
        peakHeapBytes: peakHeap,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        stats: mapping.stats,
      });
      sqs.destroy();
      process.disconnect?.();
    });
  });
  process.send?.('ready');
};
