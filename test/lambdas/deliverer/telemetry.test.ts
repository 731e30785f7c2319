import { describe, expect, it } from 'vitest';
import { createDeliveryTelemetry, type TelemetryMetrics } from '../../../lambdas/deliverer/telemetry.js';
import { DELIVERY_METRICS } from '../../../shared/delivery/constants.js';
import { Disposition, type RecordSettlement } from '../../../shared/delivery/types.js';

const silentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  getLevelName: () => 'INFO' as const,
};

describe('createDeliveryTelemetry', () => {
  it('sums counts per batch and forgets them when flushed: one entry per metric name at most', () => {
    const added: [string, number][] = [];
    const metrics = {
      addMetric: (name: string, _unit: unknown, value: number) => void added.push([name, value]),
      singleMetric: () => ({ addDimension: () => ({ addMetric: () => undefined }) }),
    } as unknown as TelemetryMetrics;
    const telemetry = createDeliveryTelemetry(silentLogger as never, metrics);
    const settlement = (index: number): RecordSettlement =>
      ({
        summary: { resourceType: 'Patient', id: `p${index}`, versionId: '1' },
        outcome: index % 2 ? { kind: 'delivered', status: 200 } : { kind: 'deleted', status: 204 },
        disposition: Disposition.done,
        attempt: 1,
      }) as unknown as RecordSettlement;
    // A long-lived instance: 1,000 batches of 10.
    for (let batch = 0; batch < 1_000; batch += 1) {
      added.length = 0;
      for (let index = 0; index < 10; index += 1) telemetry.settled(settlement(index));
      telemetry.flush();
      expect(added).toEqual([
        [DELIVERY_METRICS.deleted, 5],
        [DELIVERY_METRICS.delivered, 5],
      ]);
    }
    added.length = 0;
    telemetry.flush();
    expect(added).toEqual([]);
  });
});
