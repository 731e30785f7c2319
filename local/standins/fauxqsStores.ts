import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The part of a fauxqs SQS message local mode reads: when it was sent. Never its body. */
interface QueuedMessage {
  readonly sentTimestamp: number;
}

interface SqsStore {
  persistence?: unknown;
  allQueues(): Iterable<{ persistence?: unknown }>;
  inspectQueue(name: string):
    | {
        readonly messages: {
          readonly ready: readonly QueuedMessage[];
          readonly delayed: readonly QueuedMessage[];
          readonly inflight: readonly { readonly message: QueuedMessage }[];
        };
      }
    | undefined;
}

interface PersistenceManager {
  load(sqsStore: unknown, snsStore: unknown, s3Store: unknown): void;
  close(): void;
}

/** fauxqs's stores, to hand to its `buildApp({ stores })`. */
export interface FauxqsStores {
  readonly stores: { readonly sqsStore: SqsStore; readonly snsStore: object; readonly s3Store: object };
  /** When the oldest message of a queue (ready, delayed or in flight) was sent, epoch ms; undefined when empty. */
  oldestSentMs(queueName: string): number | undefined;
  /** Closes the SQLite database of a persistent store (after the server stopped). */
  close(): void;
}

/** fauxqs's installed `dist/` folder (its package exports only the entry point, which is all we import from). */
const fauxqsDist = (): string => {
  const require = createRequire(import.meta.url);
  for (const folder of require.resolve.paths('fauxqs') ?? []) {
    const dist = join(folder, 'fauxqs', 'dist');
    if (existsSync(join(dist, 'app.js'))) return dist;
  }
  throw new Error('fauxqs is not installed (npm ci)');
};

const load = async <T>(dist: string, file: string): Promise<T> =>
  (await import(pathToFileURL(join(dist, file)).href)) as T;

/**
 * Builds fauxqs's SQS, SNS and S3 stores for `buildApp`, persistent in `dataDir` (fauxqs's SQLite
 * persistence: queues, messages with their receive counts and visibility, buckets and objects) when
 * given. Built here, as fauxqs's `startFauxqs` builds them, because `startFauxqs` (the only entry
 * point with `dataDir`) always listens on 0.0.0.0, which would put queues holding PHI on the network;
 * `buildApp` listens where local mode says. Holding the stores also lets local mode read a queue's
 * oldest message in process, without receiving it (fauxqs 2.4.1, pinned in package.json; the tests
 * of local mode's data folder and status fail if a new version moves these files).
 */
export const createFauxqsStores = async (dataDir?: string): Promise<FauxqsStores> => {
  const dist = fauxqsDist();
  type Constructor = new () => object;
  const [{ SqsStore }, { SnsStore }, { S3Store }] = await Promise.all([
    load<{ SqsStore: Constructor }>(dist, 'sqs/sqsStore.js'),
    load<{ SnsStore: Constructor }>(dist, 'sns/snsStore.js'),
    load<{ S3Store: Constructor }>(dist, 's3/s3Store.js'),
  ]);
  const sqsStore = new SqsStore() as SqsStore;
  const snsStore = new SnsStore() as { persistence?: unknown };
  const s3Store = new S3Store() as { persistence?: unknown };
  let persistence: PersistenceManager | undefined;
  if (dataDir) {
    const { PersistenceManager: Manager } = await load<{
      PersistenceManager: new (folder: string) => PersistenceManager;
    }>(dist, 'persistence.js');
    persistence = new Manager(dataDir);
    // Loaded before the stores write through, as startFauxqs does (a load must not write itself back).
    persistence.load(sqsStore, snsStore, s3Store);
    sqsStore.persistence = persistence;
    snsStore.persistence = persistence;
    s3Store.persistence = persistence;
    for (const queue of sqsStore.allQueues()) queue.persistence = persistence;
  }
  return {
    stores: { sqsStore, snsStore, s3Store },
    oldestSentMs: (queueName) => {
      const messages = sqsStore.inspectQueue(queueName)?.messages;
      if (!messages) return undefined;
      let oldest: number | undefined;
      const see = (message: QueuedMessage) => {
        if (oldest === undefined || message.sentTimestamp < oldest) oldest = message.sentTimestamp;
      };
      for (const message of messages.ready) see(message);
      for (const message of messages.delayed) see(message);
      for (const { message } of messages.inflight) see(message);
      return oldest;
    },
    close: () => persistence?.close(),
  };
};
