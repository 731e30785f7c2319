import { describe, expect, it } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import { createDeliveryTelemetry } from '../../lambdas/deliverer/telemetry.js';
import { dataStoreLines } from '../../bin/commands/status.js';
import { LocalStats, MAX_DATA_STORES } from '../../local/LocalStats.js';
import { CountingMetrics } from '../../local/powertoolsLocal.js';
import { failureCause, FailureReason } from '../../shared/messages/failureCause.js';
import type { RecordSettlement } from '../../shared/delivery/types.js';

const settlement = (dataStore: string, outcome: RecordSettlement['outcome']): RecordSettlement => ({
  summary: { messageId: 'm', resourceType: 'Patient', id: 'p1', versionId: '1' },
  outcome,
  attempt: 1,
  dataStore,
  disposition: outcome.kind === 'delivered' ? 'done' : 'retry',
});

describe('Per-data-store counts in local mode and hlc status', () => {
  it('counts delivered, throttled and access-denied per data store, from the metrics the deliverer emits', () => {
    const stats = new LocalStats();
    const metrics = new CountingMetrics(
      { namespace: 'HealthLakeConnector', serviceName: 'deliverer' },
      stats.countDeliveryMetric,
      stats.countSingleMetric,
    );
    const telemetry = createDeliveryTelemetry(new Logger({ logLevel: 'SILENT' }), metrics);
    const now = Date.now();
    telemetry.settled(settlement('storeA', { kind: 'delivered', status: 200, healthLakeLatencyMs: 3 }));
    for (let index = 0; index < 3; index += 1) {
      telemetry.settled(
        settlement('storeB', {
          kind: 'transient-failure',
          cause: failureCause(FailureReason.httpStatus, 1, now, { status: 429 }),
        }),
      );
    }
    telemetry.settled(
      settlement('storeB', {
        kind: 'transient-failure',
        cause: failureCause(FailureReason.accessDenied, 1, now, { status: 403 }),
      }),
    );
    // Deferred records are no failures of their data store: not counted as throttled or denied.
    telemetry.settled(
      settlement('storeB', {
        kind: 'transient-failure',
        cause: failureCause(FailureReason.dataStoreDeferred, 1, now),
      }),
    );
    telemetry.flush();

    expect(stats.view().dataStores).toEqual({
      storeA: { delivered: 1, throttled: 0, accessDenied: 0 },
      storeB: { delivered: 0, throttled: 3, accessDenied: 1 },
    });
    expect(stats.delivered).toBe(1);
    expect(stats.retried).toBe(4);
    expect(dataStoreLines(stats.view().dataStores)).toEqual([
      'data store                         delivered  throttled  access-denied',
      'storeA                                     1          0              0',
      'storeB                                     0          3              1',
    ]);
  });

  it('keeps at most MAX_DATA_STORES data stores', () => {
    const stats = new LocalStats();
    for (let index = 0; index < MAX_DATA_STORES + 50; index += 1) {
      stats.countSingleMetric({ DataStore: `store-${index}` }, 'Delivered', 1);
    }
    expect(Object.keys(stats.view().dataStores ?? {})).toHaveLength(MAX_DATA_STORES);
    expect(dataStoreLines({})).toEqual([]);
  });
});
