import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import { InMemoryWorkQueue } from '../../../shared/backfill/InMemoryWorkQueue.js';
import { parseWorkMessage } from '../../../shared/backfill/parseWorkMessage.js';
import { readDeadLetter, type ReadDeadLetter } from '../../../shared/backfill/readDeadLetters.js';
import { SqsReadDeadLetterQueue } from '../../../shared/backfill/SqsReadDeadLetterQueue.js';
import { startNotificationJob } from '../../../shared/backfill/startNotificationJob.js';
import type { WorkMessage } from '../../../shared/backfill/types.js';
import { compileCriteria } from '../../../shared/criteria/index.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { PermanentSourceError, TransientSourceError } from '../../../shared/fhirClient/errors.js';
import type { SourceReader } from '../../../shared/fhirClient/FhirClient.js';
import { readDeadLetterCause } from '../../../shared/messages/deadLetter.js';
import { describeDlqMessage } from '../../../shared/operator/describeDlqMessage.js';
import { activeSubscription, createHarness, createPipeline, fakeSubscriptions, patient } from './harness.js';

const MAX_RECEIVES = 5;

/** A source holding `good1`, `bad` and `good2`; `bad` answers as `failBad` says on its n-th read. */
const fakeSource = (failBad: (read: number) => Error | undefined) => {
  const reads: string[] = [];
  const source: SourceReader = {
    resolveSearchUrl: (url) => `https://source.test/fhir/${url}`,
    searchPage: async () => ({ resources: [] }),
    read: async (resourceType, id) => {
      reads.push(`${resourceType}/${id}`);
      const failure = id === 'bad' ? failBad(reads.filter((key) => key === 'Patient/bad').length) : undefined;
      if (failure) throw failure;
      return patient(id) as FhirResource;
    },
  };
  return { source, reads };
};

const unavailable = () => new TransientSourceError('Source still failing after 2 attempts (HTTP 503)', 503);

/** One id-only notification naming three Patients (one batch), drained as SQS would with `maxReceives`. */
const run = async (source: SourceReader, options: { deadLetters?: boolean } = {}) => {
  const jobs = new InMemoryJobStore();
  const queue = new InMemoryWorkQueue();
  const { pipeline, healthLake } = createPipeline([activeSubscription('all', '[*]')]);
  const letters: ReadDeadLetter[] = [];
  const harness = createHarness({
    jobs,
    queue,
    source,
    pipeline,
    subscriptions: fakeSubscriptions({}),
    compileCriteria,
    maxReceives: MAX_RECEIVES,
    ...(options.deadLetters === false
      ? {}
      : { deadLetters: { send: async (batch) => void letters.push(...batch) } }),
  });
  const jobId = await startNotificationJob(
    { jobs, queue },
    {
      sourceSubscriptionId: 'labs',
      reasons: ['read'],
      reads: ['good1', 'bad', 'good2'].map((id) => ({ resourceType: 'Patient', id })),
      gaps: 0,
    },
  );
  const deliveredBeforeRetry: boolean[] = [];
  let seen = 0;
  const drained = await harness.drain({
    maxReceives: MAX_RECEIVES,
    beforeEach: () => {
      seen += 1;
      if (seen === 2) deliveredBeforeRetry.push(healthLake.current.has('Patient/good1'));
    },
  });
  return {
    job: (await jobs.get(jobId))!,
    healthLake,
    letters,
    drained,
    deliveredBeforeRetry,
    harness,
    queue,
  };
};

describe('Notification reads the source keeps failing: dead-lettered one by one, the rest goes on', () => {
  it('retries a read answering 503 on every receive, then dead-letters it with its cause while the others are delivered', async () => {
    const { source, reads } = fakeSource(unavailable);
    const { job, healthLake, letters, drained, deliveredBeforeRetry } = await run(source);

    expect(reads.filter((key) => key === 'Patient/bad')).toHaveLength(MAX_RECEIVES);
    expect(drained.redelivered).toBe(MAX_RECEIVES - 1);
    // The others went on at once, not after the retries.
    expect(deliveredBeforeRetry).toEqual([true]);
    expect(healthLake.current.has('Patient/good1')).toBe(true);
    expect(healthLake.current.has('Patient/good2')).toBe(true);
    expect(healthLake.current.has('Patient/bad')).toBe(false);

    expect(letters).toHaveLength(1);
    const [letter] = letters;
    expect(letter?.message).toEqual({
      jobId: job.jobId,
      task: 'reread',
      searchIndex: 0,
      pageNumber: 0,
      ids: ['Patient/bad'],
    });
    expect(letter?.kind).toBe('retries-exhausted');
    expect(letter?.cause).toMatchObject({
      reason: 'source-read',
      status: 503,
      errorType: 'TransientSourceError',
      attempt: MAX_RECEIVES,
      maxAttempts: MAX_RECEIVES,
    });
    expect(letter?.cause.diagnostics).toBe(
      'read of Patient/bad: Source still failing after 2 attempts (HTTP 503)',
    );
    expect(JSON.stringify(letter)).not.toMatch(/Doe|Test/); // never resource content

    // The job finishes, counting the dead-lettered read as failed (nothing dropped silently).
    expect(job.state).toBe('completed');
    expect(job.counts).toMatchObject({ read: 2, enqueued: 2, failed: 1 });
    expect(job.failedIds).toEqual([{ key: 'Patient/bad', reason: 'dead-lettered' }]);
    expect(drained.outcomes.at(-1)?.readsDeadLettered).toBe(1);
  });

  it('dead-letters nothing when the source recovers on the second attempt', async () => {
    const { source, reads } = fakeSource((n) => (n === 1 ? unavailable() : undefined));
    const { job, healthLake, letters, drained } = await run(source);
    expect(reads.filter((key) => key === 'Patient/bad')).toHaveLength(2);
    expect(drained.redelivered).toBe(1);
    expect(letters).toEqual([]);
    expect(['good1', 'bad', 'good2'].every((id) => healthLake.current.has(`Patient/${id}`))).toBe(true);
    expect(job.state).toBe('completed');
    expect(job.counts).toMatchObject({ read: 3, failed: 0 });
    expect(drained.outcomes.at(-1)?.readsDeadLettered).toBeUndefined();
  });

  it('dead-letters a refused read (403) at once: retrying cannot help', async () => {
    const { source, reads } = fakeSource(
      () => new PermanentSourceError('Source answered HTTP 403 to a read', 403),
    );
    const { job, letters, drained } = await run(source);
    expect(reads.filter((key) => key === 'Patient/bad')).toHaveLength(1);
    expect(drained.redelivered).toBe(0);
    expect(letters.map((letter) => [letter.kind, letter.cause.status, letter.cause.maxAttempts])).toEqual([
      ['terminal', 403, undefined],
    ]);
    expect(job.failedIds).toEqual([{ key: 'Patient/bad', reason: 'dead-lettered' }]);
  });

  it('without a dead-letter queue fails the job as before, rather than drop the read', async () => {
    const { source } = fakeSource(unavailable);
    const { job, letters } = await run(source, { deadLetters: false });
    expect(letters).toEqual([]);
    expect(job.state).toBe('failed');
    expect(job.reason).toMatch(
      /still failing after 5 attempts: Source still failing after 2 attempts \(HTTP 503\)/,
    );
  });

  it('reads a redriven dead letter from the source again and replicates it; still failing, it is dead-lettered again', async () => {
    let healthy = false;
    const { source } = fakeSource(() => (healthy ? undefined : unavailable()));
    const { letters, harness, healthLake, queue } = await run(source);
    const redriven = parseWorkMessage(JSON.stringify(letters[0]?.message)); // the DLQ body, as SQS hands it back

    // Redriven while the source still fails: retried, then back in the DLQ with its new cause.
    queue.messages.push(redriven);
    await harness.drain({ maxReceives: MAX_RECEIVES });
    expect(letters).toHaveLength(2);
    expect(letters[1]?.message).toEqual(letters[0]?.message);
    expect(healthLake.current.has('Patient/bad')).toBe(false);

    // Redriven once the source answers: replicated, no new dead letter, the finished job untouched.
    healthy = true;
    queue.messages.push(redriven as WorkMessage);
    const { outcomes } = await harness.drain({ maxReceives: MAX_RECEIVES });
    expect(healthLake.current.has('Patient/bad')).toBe(true);
    expect(letters).toHaveLength(2);
    expect(outcomes).toEqual([
      expect.objectContaining({
        outcome: 'processed',
        jobCompleted: false,
        counts: expect.objectContaining({ enqueued: 1 }),
      }),
    ]);
  });
});

describe('SqsReadDeadLetterQueue', () => {
  it('sends the reread message with the cause attributes hlc dlq list shows', async () => {
    const sent: {
      QueueUrl?: string;
      Entries?: { MessageBody?: string; MessageAttributes?: Message['MessageAttributes'] }[];
    }[] = [];
    const client = {
      send: async (command: { input: (typeof sent)[number] }) => (sent.push(command.input), {}),
    };
    const queue = new SqsReadDeadLetterQueue({
      client: client as unknown as SQSClient,
      queueUrl: 'https://sqs.test/dlq',
    });
    const { source } = fakeSource(unavailable);
    const { letters } = await run(source);
    await queue.send(letters);

    expect(sent).toHaveLength(1);
    expect(sent[0]?.QueueUrl).toBe('https://sqs.test/dlq');
    const entry = sent[0]?.Entries?.[0];
    const listed = describeDlqMessage({
      MessageId: 'm1',
      Body: entry?.MessageBody ?? '',
      MessageAttributes: entry?.MessageAttributes ?? {},
    });
    expect(listed).toMatchObject({ resource: 'Patient/bad', attempts: MAX_RECEIVES });
    expect(listed.cause).toBe(
      'retries-exhausted | source-read | HTTP 503 | TransientSourceError | diagnostics hidden (--show-content) ' +
        `(gave up after 5 attempts of the 5 allowed (the first and 4 retries); last at ${letters[0]?.cause.at})`,
    );
  });

  it('throws when SQS keeps refusing an entry, so the page is retried rather than the read lost', async () => {
    const client = { send: async () => ({ Failed: [{ Id: '0', Code: 'KMS.Throttling' }] }) };
    const queue = new SqsReadDeadLetterQueue({
      client: client as unknown as SQSClient,
      queueUrl: 'https://sqs.test/dlq',
    });
    const { source } = fakeSource(unavailable);
    const { letters } = await run(source);
    await expect(queue.send(letters)).rejects.toThrow('SQS rejected 1 read dead letter(s): KMS.Throttling');
  });

  /** `count` given-up reads of Patient/p0..p{count-1}, built as the worker builds them. */
  const givenUp = (count: number) =>
    Array.from({ length: count }, (_, i) =>
      readDeadLetter({
        jobId: 'job-1',
        stream: 2,
        unreadable: { ref: { resourceType: 'Patient', id: `p${i}` }, error: unavailable() },
        receives: MAX_RECEIVES,
        maxReceives: MAX_RECEIVES,
        now: Date.parse('2026-01-01T00:00:00Z'),
      }),
    );

  type Entry = { Id?: string; MessageBody?: string; MessageAttributes?: Message['MessageAttributes'] };
  /** An SQS client that fails the entries `fail(call)` names, recording every batch sent. */
  const batchClient = (fail: (call: number) => { Id: string; Code: string }[]) => {
    const batches: Entry[][] = [];
    const client = {
      send: async (command: { input: { Entries: Entry[] } }) => {
        batches.push(command.input.Entries);
        return { Failed: fail(batches.length) };
      },
    };
    return { client: client as unknown as SQSClient, batches };
  };

  it('sends ten letters a batch, each with its own entry id, resource and message id', async () => {
    const { client, batches } = batchClient(() => []);
    await new SqsReadDeadLetterQueue({ client, queueUrl: 'https://sqs.test/dlq' }).send(givenUp(12));
    expect(batches.map((batch) => batch.length)).toEqual([10, 2]);
    expect(batches[0]?.map((entry) => entry.Id)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(batches[1]?.map((entry) => entry.Id)).toEqual(['0', '1']);
    const last = batches[1]![1]!;
    expect(JSON.parse(last.MessageBody ?? '')).toEqual({
      jobId: 'job-1',
      task: 'reread',
      searchIndex: 2,
      pageNumber: 0,
      ids: ['Patient/p11'],
    });
    expect(readDeadLetterCause(last.MessageAttributes)).toMatchObject({
      messageId: 'read:job-1:Patient/p11',
      resourceType: 'Patient',
      id: 'p11',
      attempt: MAX_RECEIVES,
    });
    await new SqsReadDeadLetterQueue({ client, queueUrl: 'https://sqs.test/dlq' }).send([]);
    expect(batches).toHaveLength(2);
  });

  it('sends again only the entries SQS failed, once, and then throws naming each code', async () => {
    const recovering = batchClient((call) => (call === 1 ? [{ Id: '3', Code: 'InternalError' }] : []));
    await new SqsReadDeadLetterQueue({ client: recovering.client, queueUrl: 'https://sqs.test/dlq' }).send(
      givenUp(5),
    );
    expect(recovering.batches.map((batch) => batch.map((entry) => entry.Id))).toEqual([
      ['0', '1', '2', '3', '4'],
      ['3'],
    ]);

    const failing = batchClient(() => [
      { Id: '0', Code: 'KMS.Throttling' },
      { Id: '1', Code: 'InternalError' },
    ]);
    await expect(
      new SqsReadDeadLetterQueue({ client: failing.client, queueUrl: 'https://sqs.test/dlq' }).send(
        givenUp(3),
      ),
    ).rejects.toThrow('SQS rejected 2 read dead letter(s): KMS.Throttling, InternalError');
    expect(failing.batches.map((batch) => batch.length)).toEqual([3, 2]);
  });
});
