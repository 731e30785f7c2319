import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loggerFromEnv, metricsFromEnv } from '../../../shared/runtime/powertoolsFromEnv.js';

/** EMF lines Powertools prints to stdout while `run` executes. */
const emfPrintedBy = (run: () => void): Record<string, unknown>[] => {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

const dimensionSets = (emf: Record<string, unknown>): string[][] =>
  (emf._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics.flatMap(
    (entry) => entry.Dimensions,
  );

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Function: metricsFromEnv', () => {
  const env = { CONNECTOR_ID: 'clinic-a' };

  it('gives every EMF record the connector dimension, batched and single metrics alike', () => {
    const metrics = metricsFromEnv('ingest', env);
    const printed = emfPrintedBy(() => {
      metrics.addMetric('Ingested', MetricUnit.Count, 2);
      metrics.addDimension('ResourceType', 'Patient');
      metrics.publishStoredMetrics();
      metrics.singleMetric().addDimension('ResourceType', 'Basic').addMetric('Dropped', MetricUnit.Count, 1);
    });
    expect(printed).toHaveLength(2);
    for (const emf of printed) {
      expect(emf.connector).toBe('clinic-a');
      expect(emf.service).toBe('ingest');
      for (const set of dimensionSets(emf)) expect(set).toContain('connector');
    }
    expect(
      (printed[0]?._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]?.Namespace,
    ).toBe('HealthLakeConnector');
  });

  it('honours POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE over the defaults', () => {
    const metrics = metricsFromEnv('ingest', {
      ...env,
      POWERTOOLS_SERVICE_NAME: 'ingest-eu',
      POWERTOOLS_METRICS_NAMESPACE: 'Custom',
    });
    const [emf] = emfPrintedBy(() => {
      metrics.addMetric('Ingested', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    });
    expect(emf?.service).toBe('ingest-eu');
    expect(
      (emf?._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]?.Namespace,
    ).toBe('Custom');
  });

  it('adds no connector dimension when CONNECTOR_ID is not set', () => {
    const metrics = metricsFromEnv('ingest', {});
    const [emf] = emfPrintedBy(() => {
      metrics.addMetric('Ingested', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    });
    expect(emf?.connector).toBeUndefined();
  });
});

describe('Function: loggerFromEnv', () => {
  const serviceOfLine = (env: NodeJS.ProcessEnv): unknown => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      loggerFromEnv('ingest', env).info('ready');
    } finally {
      write.mockRestore();
    }
    return (JSON.parse(lines.join('').trim()) as { service: unknown }).service;
  };

  it('names the service from POWERTOOLS_SERVICE_NAME, else the fallback', () => {
    expect(serviceOfLine({ POWERTOOLS_SERVICE_NAME: 'ingest-eu' })).toBe('ingest-eu');
    expect(serviceOfLine({})).toBe('ingest');
  });
});
