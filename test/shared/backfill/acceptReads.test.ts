import { describe, expect, it } from 'vitest';
import { acceptWrites, writesOf } from '../../../shared/backfill/acceptReads.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import type { IncomingWrite, WriteResult } from '../../../shared/ingest/types.js';

// How a page's reads become writes, and how accepting them in chunks is counted.
const patient = (id?: string) => ({ resourceType: 'Patient', ...(id ? { id } : {}) }) as FhirResource;

describe('writesOf', () => {
  it('makes upserts of what the source has and deletes of what it no longer has, traced to the job', () => {
    const writes = writesOf([patient('a')], [{ resourceType: 'Patient', id: 'gone' }], {
      requestId: 'backfill:j:0:0',
      jobId: 'j',
      subscriptionId: 'sub',
    });
    expect(writes).toEqual([
      {
        operation: 'upsert',
        resourceType: 'Patient',
        id: 'a',
        resource: patient('a'),
        source: 'backfill',
        requestId: 'backfill:j:0:0',
        jobId: 'j',
        onlySubscriptionId: 'sub',
      },
      {
        operation: 'delete',
        resourceType: 'Patient',
        id: 'gone',
        source: 'backfill',
        requestId: 'backfill:j:0:0',
        jobId: 'j',
      },
    ]);
  });

  it('leaves every Subscription eligible without one, and gives an id-less resource an empty id', () => {
    const [write] = writesOf([patient()], [], { requestId: 'r', jobId: 'j', subscriptionId: undefined });
    expect(write).not.toHaveProperty('onlySubscriptionId');
    expect(write?.id).toBe('');
  });
});

describe('acceptWrites', () => {
  const result = (fields: Partial<WriteResult>): WriteResult => ({
    status: 'recorded',
    versionId: '1',
    lastUpdated: '2026-01-01T00:00:00Z',
    matched: 1,
    enqueued: 1,
    ...fields,
  });

  it('accepts in chunks and counts enqueued, stale, matched and conflicting writes', async () => {
    const writes = writesOf(
      ['a', 'b', 'c', 'd', 'e'].map((id) => patient(id)),
      [],
      { requestId: 'r', jobId: 'j' },
    );
    const scripted: Record<string, WriteResult> = {
      a: result({ enqueued: 2, matched: 2 }),
      b: result({ status: 'stale', matched: 0, enqueued: 0 }),
      c: result({ status: 'current', matched: 1, enqueued: 0 }),
      d: result({ status: 'conflict', versionId: '7', matched: 0, enqueued: 0 }),
      e: result({ matched: 0, enqueued: 0 }),
    };
    const chunks: string[][] = [];
    const pipeline = {
      accept: async (chunk: readonly IncomingWrite[]) => {
        chunks.push(chunk.map((write) => write.id));
        return chunk.map((write) => scripted[write.id]!);
      },
    };
    const warnings: [string, Record<string, unknown>][] = [];
    const logger = {
      info: () => undefined,
      warn: (message: string, extra: Record<string, unknown>) => warnings.push([message, extra]),
      error: () => undefined,
    };
    const accepted = await acceptWrites(writes, { pipeline, chunkSize: 2, jobId: 'j', logger });
    expect(chunks).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(accepted).toEqual({
      enqueued: 2,
      skipped: 1,
      matchedWrites: 2,
      conflicts: [{ key: 'Patient/d', reason: 'version-conflict' }],
    });
    // The conflict is named by type, id and version only: never the content.
    expect(warnings).toEqual([
      [
        'Backfill source copy conflicts with the recorded version; not delivered',
        { jobId: 'j', resourceType: 'Patient', id: 'd', versionId: '7' },
      ],
    ]);
  });

  it('calls the pipeline not at all for no writes, once for exactly one chunk', async () => {
    const calls: number[] = [];
    const pipeline = {
      accept: async (chunk: readonly IncomingWrite[]) => (
        calls.push(chunk.length),
        chunk.map(() => result({}))
      ),
    };
    expect(await acceptWrites([], { pipeline, chunkSize: 2, jobId: 'j' })).toEqual({
      enqueued: 0,
      skipped: 0,
      matchedWrites: 0,
      conflicts: [],
    });
    const two = writesOf([patient('a'), patient('b')], [], { requestId: 'r', jobId: 'j' });
    expect((await acceptWrites(two, { pipeline, chunkSize: 2, jobId: 'j' })).enqueued).toBe(2);
    expect(calls).toEqual([2]);
  });
});
