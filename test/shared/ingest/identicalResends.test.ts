import { describe, expect, it } from 'vitest';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { INGEST_METRICS, IngestMetricsCollector } from '../../../shared/ingest/IngestMetricsCollector.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { LocalStats } from '../../../local/LocalStats.js';
import {
  activeSubscription,
  FakeMatcher,
  fhirRequest,
  patient,
  RecordingQueue,
} from '../../helpers/ingestFakes.js';

describe('Identical resends', () => {
  it('are counted (IdenticalResends, no ResourceType dimension) so ingested minus delivered is explained', async () => {
    const collector = new IngestMetricsCollector();
    const route = createIngestRouter({
      pipeline: new DefaultWritePipeline({
        ledger: new InMemoryVersionLedger(),
        matcher: new FakeMatcher([activeSubscription()], new Set(['Patient'])),
        queue: new RecordingQueue(),
      }),
      observer: collector,
    });
    const put = (family: string) =>
      route(
        fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient({ id: 'p1', name: [{ family }] }) }),
      );
    // The same content twice more (the version already recorded), then new content (a new version).
    for (const family of ['A', 'A', 'A', 'B']) expect((await put(family)).status).toBeLessThan(300);
    expect(collector.counts.get('Patient')?.get(INGEST_METRICS.ingested)).toBe(4);
    expect(collector.counts.get('')?.get(INGEST_METRICS.identicalResends)).toBe(2);
    expect(collector.counts.get('Patient')?.has(INGEST_METRICS.identicalResends)).toBe(false);
  });

  it('show in local mode’s counters next to ingested', () => {
    const stats = new LocalStats(() => 0);
    stats.ingested = 6144;
    stats.identicalResends = 3035;
    stats.settledDone('delivered', 3109);
    expect(stats.view(0)).toMatchObject({ ingested: 6144, identicalResends: 3035, delivered: 3109 });
    expect(stats.line()).toMatch(/^ingested 6144 \(identical resends 3035\) {2}delivered 3109 /);
  });
});
