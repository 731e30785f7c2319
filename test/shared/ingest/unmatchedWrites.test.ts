import { describe, expect, it } from 'vitest';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { INGEST_METRICS, IngestMetricsCollector } from '../../../shared/ingest/IngestMetricsCollector.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import {
  activeSubscription,
  FakeMatcher,
  fhirRequest,
  observation,
  patient,
  RecordingQueue,
} from '../../helpers/ingestFakes.js';

/** Subscriptions for Patient only: an Observation write matches nothing. */
const setup = () => {
  const queue = new RecordingQueue();
  const collector = new IngestMetricsCollector();
  const route = createIngestRouter({
    pipeline: new DefaultWritePipeline({
      ledger: new InMemoryVersionLedger(),
      matcher: new FakeMatcher([activeSubscription()], new Set(['Patient'])),
      queue,
    }),
    observer: collector,
  });
  const unmatched = () => collector.counts.get('')?.get(INGEST_METRICS.writesUnmatched) ?? 0;
  return { queue, collector, route, unmatched };
};

const UNMATCHED = /matched no active Subscription, so it is not delivered anywhere/;

describe('Writes that match no active Subscription', () => {
  it('are counted (WritesUnmatched, no ResourceType dimension) and answered with an informational issue', async () => {
    const env = setup();
    const response = await env.route(
      fhirRequest({ method: 'PUT', path: 'Observation/o1', body: observation({ id: 'o1' }) }),
    );
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      etag: 'W/"1"',
      location: expect.stringMatching(/Observation\/o1/),
    });
    expect(response.body).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'information', code: 'informational', diagnostics: expect.stringMatching(UNMATCHED) },
      ],
    });
    expect(env.queue.messages).toEqual([]);
    expect(env.unmatched()).toBe(1);
    expect(env.collector.counts.get('Observation')?.get(INGEST_METRICS.ingested)).toBe(1);
  });

  it('follow Prefer: the resource with return=representation, nothing with return=minimal (still counted)', async () => {
    const env = setup();
    const representation = await env.route(
      fhirRequest({
        method: 'PUT',
        path: 'Observation/o1',
        body: observation({ id: 'o1' }),
        headers: { prefer: 'return=representation' },
      }),
    );
    expect(representation.body).toMatchObject({ resourceType: 'Observation', id: 'o1' });
    const minimal = await env.route(
      fhirRequest({ method: 'DELETE', path: 'Observation/o1', headers: { prefer: 'return=minimal' } }),
    );
    expect(minimal).toMatchObject({ status: 204 });
    expect(minimal.body).toBeUndefined();
    const deleted = await env.route(fhirRequest({ method: 'DELETE', path: 'Observation/o1' }));
    expect(deleted.status).toBe(200);
    expect(JSON.stringify(deleted.body)).toMatch(UNMATCHED);
    expect(env.unmatched()).toBe(3);
  });

  it('are flagged per entry in a batch, matched entries are not', async () => {
    const env = setup();
    const response = await env.route(
      fhirRequest({
        method: 'POST',
        path: '',
        body: {
          resourceType: 'Bundle',
          type: 'batch',
          entry: [
            { resource: patient(), request: { method: 'PUT', url: 'Patient/p1' } },
            { resource: observation({ id: 'o1' }), request: { method: 'PUT', url: 'Observation/o1' } },
          ],
        },
      }),
    );
    expect(response.status).toBe(200);
    const entries = (response.body as { entry: Array<{ response: { outcome?: unknown } }> }).entry;
    expect(entries[0]?.response.outcome).toBeUndefined();
    expect(JSON.stringify(entries[1]?.response.outcome)).toMatch(UNMATCHED);
    expect(env.unmatched()).toBe(1);
    expect(env.queue.messages).toHaveLength(1);
  });

  it('are not counted when a Subscription matched', async () => {
    const env = setup();
    const response = await env.route(fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient() }));
    expect(response.body).toMatchObject({ resourceType: 'Patient' });
    expect(env.unmatched()).toBe(0);
  });
});
