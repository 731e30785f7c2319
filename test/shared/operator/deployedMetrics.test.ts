import { describe, expect, it } from 'vitest';
import type { CloudWatchOptions } from '../../../shared/operator/cloudWatchMetrics.js';
import { deployedMetrics } from '../../../shared/operator/deployedMetrics.js';

// What `hlc status` asks CloudWatch for a deployed stack, read off the Query-protocol forms it sends.
const NOW = new Date('2026-01-01T01:00:00.000Z');

/** A CloudWatch stand-in answering `points(form)` as datapoints of the form's statistic. */
const cloudWatch = (points: (form: URLSearchParams) => [string, number][]) => {
  const forms: URLSearchParams[] = [];
  const fetchFn = (async (_url: string, init: RequestInit) => {
    const form = new URLSearchParams(String(init.body));
    forms.push(form);
    const statistic = form.get('Statistics.member.1') ?? '';
    const members = points(form)
      .map(
        ([at, value]) => `<member><Timestamp>${at}</Timestamp><${statistic}>${value}</${statistic}></member>`,
      )
      .join('');
    return new Response(
      `<GetMetricStatisticsResponse><GetMetricStatisticsResult><Datapoints>${members}</Datapoints></GetMetricStatisticsResult></GetMetricStatisticsResponse>`,
      { status: 200 },
    );
  }) as unknown as typeof fetch;
  const options: CloudWatchOptions = {
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    fetch: fetchFn,
    now: () => NOW,
  };
  /** The dimensions of a form, in order, as `name=value`. */
  const dimensions = (form: URLSearchParams) =>
    [1, 2, 3, 4]
      .filter((n) => form.has(`Dimensions.member.${n}.Name`))
      .map((n) => `${form.get(`Dimensions.member.${n}.Name`)}=${form.get(`Dimensions.member.${n}.Value`)}`);
  return { options, forms, dimensions };
};

describe('deployedMetrics', () => {
  it("reads each named queue's oldest-message age: Maximum per minute over 15 minutes, the latest point", async () => {
    const { options, forms, dimensions } = cloudWatch((form) =>
      form.get('Dimensions.member.1.Value') === 'delivery.fifo'
        ? [
            ['2026-01-01T00:59:00Z', 12],
            ['2026-01-01T00:58:00Z', 30],
          ]
        : [],
    );
    const result = await deployedMetrics(options, {
      delivery: 'https://sqs.eu-west-1.amazonaws.com/1/delivery.fifo//',
      dlq: 'https://sqs.eu-west-1.amazonaws.com/1/dlq.fifo',
      sql: '',
      backfill: undefined,
    });
    // The points come back oldest first: the latest is 00:59, not the last one CloudWatch listed.
    expect(result).toEqual({ oldestMessageAgeSeconds: { delivery: 12, dlq: undefined } });
    expect(forms).toHaveLength(2);
    for (const form of forms) {
      expect(form.get('Namespace')).toBe('AWS/SQS');
      expect(form.get('MetricName')).toBe('ApproximateAgeOfOldestMessage');
      expect(form.get('Statistics.member.1')).toBe('Maximum');
      expect(form.get('Period')).toBe('60');
      expect(form.get('StartTime')).toBe('2026-01-01T00:45:00.000Z');
      expect(form.get('EndTime')).toBe(NOW.toISOString());
    }
    expect(forms.map(dimensions).sort()).toEqual([['QueueName=delivery.fifo'], ['QueueName=dlq.fifo']]);
  });

  it("with a connector id, sums the last hour's deliverer and ingest counts; the SQL writer's only with a SQL queue", async () => {
    const { options, forms, dimensions } = cloudWatch((form) =>
      form.get('MetricName') === 'Delivered'
        ? [
            ['2026-01-01T00:00:00Z', 5],
            ['2026-01-01T00:30:00Z', 2],
          ]
        : form.get('MetricName') === 'SqlResourcesWritten'
          ? [['2026-01-01T00:10:00Z', 3]]
          : [],
    );
    const withoutSql = await deployedMetrics(options, { delivery: 'https://sqs/1/delivery.fifo' }, 'conn-1');
    expect(withoutSql.lastHour).toEqual({
      Delivered: 7,
      Deleted: 0,
      Retried: 0,
      DeadLettered: 0,
      DroppedNotSupported: 0,
      Filtered: 0,
      WritesUnmatched: 0,
      IdenticalResends: 0,
    });
    expect(withoutSql).not.toHaveProperty('dataStores');
    const counts = forms.filter((form) => form.get('Namespace') === 'HealthLakeConnector');
    expect(counts).toHaveLength(8);
    for (const form of counts) {
      expect(form.get('Statistics.member.1')).toBe('Sum');
      expect(form.get('Period')).toBe('3600');
      expect(form.get('StartTime')).toBe('2026-01-01T00:00:00.000Z');
    }
    const delivered = counts.find((form) => form.get('MetricName') === 'Delivered')!;
    expect(dimensions(delivered)).toEqual(['connector=conn-1', 'service=healthlake-connector-deliverer']);
    const unmatched = counts.find((form) => form.get('MetricName') === 'WritesUnmatched')!;
    expect(dimensions(unmatched)).toEqual(['connector=conn-1', 'service=ingest']);

    forms.length = 0;
    const withSql = await deployedMetrics(
      options,
      { delivery: 'https://sqs/1/delivery.fifo', sql: 'https://sqs/1/sql.fifo' },
      'conn-1',
    );
    expect(withSql.lastHour).toMatchObject({
      Delivered: 7,
      SqlResourcesWritten: 3,
      SqlResourcesDeleted: 0,
      SqlWritesRetried: 0,
      SqlWritesDeadLettered: 0,
    });
    expect(Object.keys(withSql.lastHour ?? {})).toHaveLength(12);
    const written = forms.find((form) => form.get('MetricName') === 'SqlResourcesWritten')!;
    expect(dimensions(written)).toEqual(['connector=conn-1', 'service=healthlake-connector-sql-writer']);
  });

  it('reads delivered, throttled and access-denied counts per data store asked for, at most 20 stores', async () => {
    const { options, forms, dimensions } = cloudWatch((form) => {
      const store = form.get('Dimensions.member.3.Value');
      const metric = form.get('MetricName');
      if (store === 'store-a' && metric === 'Delivered') return [['2026-01-01T00:00:00Z', 9]];
      if (store === 'store-a' && metric === 'Throttled') return [['2026-01-01T00:00:00Z', 2]];
      if (store === 'store-b' && metric === 'AccessDenied') return [['2026-01-01T00:00:00Z', 4]];
      return [];
    });
    const result = await deployedMetrics(options, {}, 'conn-1', ['store-a', 'store-b']);
    expect(result.dataStores).toEqual({
      'store-a': { delivered: 9, throttled: 2, accessDenied: 0 },
      'store-b': { delivered: 0, throttled: 0, accessDenied: 4 },
    });
    const perStore = forms.filter((form) => form.has('Dimensions.member.3.Name'));
    expect(perStore).toHaveLength(6);
    expect(dimensions(perStore.find((form) => form.get('MetricName') === 'Throttled')!)).toContain(
      'service=healthlake-connector-deliverer',
    );
    for (const form of perStore) {
      expect(form.get('Statistics.member.1')).toBe('Sum');
      expect(form.get('Period')).toBe('3600');
      expect(form.get('StartTime')).toBe('2026-01-01T00:00:00.000Z');
      expect(dimensions(form)[0]).toBe('connector=conn-1');
      expect(dimensions(form)[2]).toMatch(/^DataStore=store-[ab]$/);
    }

    forms.length = 0;
    const many = Array.from({ length: 25 }, (_, i) => `store-${i}`);
    const limited = await deployedMetrics(options, {}, 'conn-1', many);
    expect(Object.keys(limited.dataStores ?? {})).toEqual(many.slice(0, 20));
    expect(forms.filter((form) => form.has('Dimensions.member.3.Name'))).toHaveLength(60);
  });

  it('reads no counts and no data stores without a connector id (the dimension set would not match)', async () => {
    const { options, forms } = cloudWatch(() => []);
    expect(await deployedMetrics(options, { delivery: 'https://sqs/1/q' }, undefined, ['store-a'])).toEqual({
      oldestMessageAgeSeconds: { delivery: undefined },
    });
    expect(forms).toHaveLength(1);
  });
});
