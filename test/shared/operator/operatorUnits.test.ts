import {
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../../shared/ingest/auth/hashToken.js';
import { getMetricStatistics, type CloudWatchOptions } from '../../../shared/operator/cloudWatchMetrics.js';
import { deployedMetrics } from '../../../shared/operator/deployedMetrics.js';
import {
  DELIVERY_DEPLOYED_STATE_TAG,
  deliveryState,
  findDeliveryMapping,
  setDeliveryEnabled,
} from '../../../shared/operator/deliverySwitch.js';
import { newToken } from '../../../shared/operator/newToken.js';
import { isR4ResourceType, resourcePath } from '../../../shared/operator/resourcePath.js';

describe('Function: resourcePath', () => {
  it('builds Type/id or Type from an R4 type and a FHIR id', () => {
    expect(resourcePath('Patient', 'a-1.b')).toEqual({ path: 'Patient/a-1.b' });
    expect(resourcePath('Observation')).toEqual({ path: 'Observation' });
    expect(isR4ResourceType('Patient')).toBe(true);
  });

  it('refuses anything else without quoting it', () => {
    expect(resourcePath('http:', '/evil.example/x')).toEqual({
      problem: 'resourceType is not an R4 resource type',
    });
    expect(resourcePath('NotAType', '1')).toEqual({ problem: 'resourceType is not an R4 resource type' });
    expect(resourcePath(7, '1')).toEqual({ problem: 'resourceType is not an R4 resource type' });
    expect(isR4ResourceType(undefined)).toBe(false);
    expect(resourcePath('Patient', '../admin')).toEqual({
      problem: 'Patient id is not a FHIR id (1-64 of A-Z a-z 0-9 - .)',
    });
    expect(resourcePath('Patient', 12)).toEqual({
      problem: 'Patient id is not a FHIR id (1-64 of A-Z a-z 0-9 - .)',
    });
  });
});

describe('Function: newToken', () => {
  it('makes a random 256-bit token and keeps only its hash in the entry', () => {
    const first = newToken('producer.1', 'write');
    const second = newToken('producer.1', 'admin');
    expect(first.token).toMatch(/^[0-9a-f]{64}$/);
    expect(second.token).not.toBe(first.token);
    expect(first.entry).toEqual({ name: 'producer.1', scope: 'write', sha256: hashToken(first.token) });
    expect(second.entry.scope).toBe('admin');
    expect(JSON.stringify(first.entry)).not.toContain(first.token);
  });

  it('refuses a name that does not fit a log line and an unknown scope', () => {
    for (const name of ['', 'a b', 'x'.repeat(65), 'name\n']) {
      expect(() => newToken(name, 'write')).toThrow(/token name must be 1-64/);
    }
    expect(() => newToken('x'.repeat(64), 'write')).not.toThrow();
    expect(() => newToken('ops', 'root' as 'admin')).toThrow('The scope must be write or admin');
  });
});

describe('Delivery switch (Lambda event source mapping)', () => {
  const lambdaMock = mockClient(LambdaClient);
  afterEach(() => lambdaMock.reset());
  const lambda = () => new LambdaClient({ region: 'us-east-1' });

  it('uses a given mapping id without asking Lambda', async () => {
    expect(await findDeliveryMapping(lambda(), { mappingId: 'm-1', functionName: 'f' })).toBe('m-1');
    expect(lambdaMock.calls()).toHaveLength(0);
    await expect(findDeliveryMapping(lambda(), {})).rejects.toThrow(/pass --delivery-mapping-id/);
  });

  it("finds the deliverer's one mapping on the delivery queue, over every page", async () => {
    lambdaMock
      .on(ListEventSourceMappingsCommand, { FunctionName: 'deliverer' })
      .resolvesOnce({
        EventSourceMappings: [{ UUID: 'dlq', EventSourceArn: 'arn:aws:sqs:us-east-1:1:delivery-dlq.fifo' }],
        NextMarker: 'next',
      })
      .resolvesOnce({
        EventSourceMappings: [{ UUID: 'main', EventSourceArn: 'arn:aws:sqs:us-east-1:1:delivery.fifo' }],
      });
    expect(
      await findDeliveryMapping(lambda(), {
        functionName: 'deliverer',
        queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/delivery.fifo',
      }),
    ).toBe('main');
    const inputs = lambdaMock.commandCalls(ListEventSourceMappingsCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([{ FunctionName: 'deliverer' }, { FunctionName: 'deliverer', Marker: 'next' }]);
  });

  it('refuses to guess between several mappings, or when there is none', async () => {
    lambdaMock.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: [
        { UUID: 'a', EventSourceArn: 'arn:aws:sqs:r:1:q1' },
        { UUID: 'b', EventSourceArn: 'arn:aws:sqs:r:1:q2' },
      ],
    });
    await expect(findDeliveryMapping(lambda(), { functionName: 'f' })).rejects.toThrow(
      'Found 2 event source mappings of f; pass --delivery-mapping-id',
    );
    await expect(
      findDeliveryMapping(lambda(), { functionName: 'f', queueUrl: 'https://q/1/other' }),
    ).rejects.toThrow('Found 0 event source mappings of f for other; pass --delivery-mapping-id');
    expect(await findDeliveryMapping(lambda(), { functionName: 'f', queueUrl: 'https://q/1/q2' })).toBe('b');
    lambdaMock.on(ListEventSourceMappingsCommand).resolves({});
    await expect(findDeliveryMapping(lambda(), { functionName: 'f' })).rejects.toThrow(/Found 0/);
  });

  it('reports the state with the deployed state from the mapping tag', async () => {
    lambdaMock.on(GetEventSourceMappingCommand, { UUID: 'm-1' }).resolves({
      State: 'Disabled',
      LastModified: new Date('2026-01-01T00:00:00Z'),
      EventSourceMappingArn: 'arn:m-1',
    });
    lambdaMock
      .on(ListTagsCommand, { Resource: 'arn:m-1' })
      .resolves({ Tags: { [DELIVERY_DEPLOYED_STATE_TAG]: 'paused' } });
    expect(await deliveryState(lambda(), 'm-1')).toEqual({
      state: 'Disabled',
      mappingId: 'm-1',
      lastModified: '2026-01-01T00:00:00.000Z',
      deployedState: 'paused',
    });
    lambdaMock.on(ListTagsCommand).resolves({ Tags: { [DELIVERY_DEPLOYED_STATE_TAG]: 'running' } });
    expect((await deliveryState(lambda(), 'm-1')).deployedState).toBe('running');
  });

  it('says why the deployed state is unknown: no tag, another value, or ListTags refused', async () => {
    lambdaMock
      .on(GetEventSourceMappingCommand)
      .resolves({ State: 'Enabled', EventSourceMappingArn: 'arn:m-1' });
    lambdaMock.on(ListTagsCommand).resolves({});
    expect(await deliveryState(lambda(), 'm-1')).toEqual({
      state: 'Enabled',
      mappingId: 'm-1',
      deployedStateUnknown: 'no healthlake-connector:delivery tag on the mapping',
    });
    lambdaMock.on(ListTagsCommand).resolves({ Tags: { [DELIVERY_DEPLOYED_STATE_TAG]: 'maybe' } });
    expect((await deliveryState(lambda(), 'm-1')).deployedStateUnknown).toMatch(
      /no healthlake-connector:delivery tag/,
    );
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    lambdaMock.on(ListTagsCommand).rejects(denied);
    expect((await deliveryState(lambda(), 'm-1')).deployedStateUnknown).toBe(
      'lambda:ListTags failed: AccessDeniedException',
    );
  });

  it('reports an unknown state without asking for tags when the mapping has no ARN', async () => {
    lambdaMock.on(GetEventSourceMappingCommand).resolves({});
    expect(await deliveryState(lambda(), 'm-1')).toEqual({ state: 'unknown', mappingId: 'm-1' });
    expect(lambdaMock.commandCalls(ListTagsCommand)).toHaveLength(0);
  });

  it('enables and disables the mapping', async () => {
    lambdaMock.on(UpdateEventSourceMappingCommand).resolves({ State: 'Disabling' });
    expect(await setDeliveryEnabled(lambda(), 'm-1', false)).toEqual({
      state: 'Disabling',
      mappingId: 'm-1',
    });
    expect(lambdaMock.commandCalls(UpdateEventSourceMappingCommand)[0]?.args[0].input).toEqual({
      UUID: 'm-1',
      Enabled: false,
    });
    lambdaMock.on(UpdateEventSourceMappingCommand).resolves({});
    expect(await setDeliveryEnabled(lambda(), 'm-1', true)).toEqual({ state: 'unknown', mappingId: 'm-1' });
  });
});

describe('CloudWatch metrics (signed Query API calls)', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  const now = () => new Date('2026-01-01T01:00:00.000Z');
  const datapoints = (statistic: string, points: [string, number | string][]) =>
    `<GetMetricStatisticsResponse><GetMetricStatisticsResult><Datapoints>${points
      .map(
        ([at, value]) => `<member><Timestamp>${at}</Timestamp><${statistic}>${value}</${statistic}></member>`,
      )
      .join('')}</Datapoints></GetMetricStatisticsResult></GetMetricStatisticsResponse>`;

  /** A fetch that answers with `respond(form)` and records the requests. */
  const recordingFetch = (respond: (form: URLSearchParams) => { status: number; body: string }) => {
    const calls: { url: string; headers: Record<string, string>; form: URLSearchParams }[] = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      const form = new URLSearchParams(String(init.body));
      calls.push({ url, headers: init.headers as Record<string, string>, form });
      const { status, body } = respond(form);
      return new Response(body, { status });
    }) as unknown as typeof fetch;
    return { fetchFn, calls };
  };

  it('asks for one statistic over the window, signed for monitoring, and returns the points in time order', async () => {
    const { fetchFn, calls } = recordingFetch(() => ({
      status: 200,
      body: datapoints('Maximum', [
        ['2026-01-01T00:59:00Z', 7],
        ['2026-01-01T00:58:00Z', 3],
        ['2026-01-01T00:57:00Z', 'NaN'],
      ]),
    }));
    const options: CloudWatchOptions = { region: 'eu-west-1', credentials, fetch: fetchFn, now };
    const points = await getMetricStatistics(options, {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: 'q', Other: 'o' },
      statistic: 'Maximum',
      windowSeconds: 900,
      periodSeconds: 60,
    });
    expect(points).toEqual([
      { at: '2026-01-01T00:58:00Z', value: 3 },
      { at: '2026-01-01T00:59:00Z', value: 7 },
    ]);
    expect(calls[0]?.url).toBe('https://monitoring.eu-west-1.amazonaws.com/');
    expect(Object.fromEntries(calls[0]?.form ?? [])).toEqual({
      Action: 'GetMetricStatistics',
      Version: '2010-08-01',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      StartTime: '2026-01-01T00:45:00.000Z',
      EndTime: '2026-01-01T01:00:00.000Z',
      Period: '60',
      'Statistics.member.1': 'Maximum',
      'Dimensions.member.1.Name': 'QueueName',
      'Dimensions.member.1.Value': 'q',
      'Dimensions.member.2.Name': 'Other',
      'Dimensions.member.2.Value': 'o',
    });
    expect(calls[0]?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/monitoring\/aws4_request/,
    );
  });

  it('uses a given endpoint, and fails with the error code CloudWatch answers (or the status)', async () => {
    const refusing = recordingFetch(() => ({
      status: 403,
      body: '<Error><Code>AccessDenied</Code></Error>',
    }));
    const query = {
      namespace: 'N',
      metricName: 'M',
      dimensions: {},
      statistic: 'Sum' as const,
      windowSeconds: 60,
      periodSeconds: 60,
    };
    await expect(
      getMetricStatistics(
        {
          region: 'us-east-1',
          credentials,
          fetch: refusing.fetchFn,
          now,
          endpoint: 'http://127.0.0.1:4566/cw',
        },
        query,
      ),
    ).rejects.toThrow('CloudWatch GetMetricStatistics failed: AccessDenied');
    expect(refusing.calls[0]?.url).toBe('http://127.0.0.1:4566/cw');
    const broken = recordingFetch(() => ({ status: 500, body: 'oops' }));
    await expect(
      getMetricStatistics({ region: 'us-east-1', credentials, fetch: broken.fetchFn, now }, query),
    ).rejects.toThrow('CloudWatch GetMetricStatistics failed: HTTP 500');
  });

  it("reads each queue's latest oldest-message age and, with a connector id, the last hour's counts", async () => {
    const { fetchFn, calls } = recordingFetch((form) => {
      if (form.get('Namespace') === 'AWS/SQS') {
        const queue = form.get('Dimensions.member.1.Value');
        return {
          status: 200,
          body: datapoints(
            'Maximum',
            queue === 'delivery.fifo'
              ? [
                  ['2026-01-01T00:58:00Z', 30],
                  ['2026-01-01T00:59:00Z', 12],
                ]
              : [],
          ),
        };
      }
      return {
        status: 200,
        body: datapoints('Sum', form.get('MetricName') === 'Delivered' ? [['2026-01-01T00:00:00Z', 5]] : []),
      };
    });
    const options: CloudWatchOptions = { region: 'us-east-1', credentials, fetch: fetchFn, now };
    const queues = {
      delivery: 'https://sqs/1/delivery.fifo/',
      dlq: 'https://sqs/1/dlq.fifo',
      backfill: undefined,
    };
    expect(await deployedMetrics(options, queues)).toEqual({
      oldestMessageAgeSeconds: { delivery: 12, dlq: undefined },
    });
    expect(calls).toHaveLength(2);
    const withCounts = await deployedMetrics(options, queues, 'conn-1');
    expect(withCounts.lastHour).toMatchObject({
      Delivered: 5,
      Deleted: 0,
      Retried: 0,
      DeadLettered: 0,
      DroppedNotSupported: 0,
      WritesUnmatched: 0,
    });
    const unmatched = calls.find((call) => call.form.get('MetricName') === 'WritesUnmatched');
    expect(Object.fromEntries(unmatched?.form ?? [])).toMatchObject({
      Namespace: 'HealthLakeConnector',
      'Statistics.member.1': 'Sum',
      Period: '3600',
      StartTime: '2026-01-01T00:00:00.000Z',
      'Dimensions.member.1.Name': 'connector',
      'Dimensions.member.1.Value': 'conn-1',
      'Dimensions.member.2.Name': 'service',
      'Dimensions.member.2.Value': 'ingest',
    });
    const delivered = calls.find((call) => call.form.get('MetricName') === 'Delivered');
    expect(delivered?.form.get('Dimensions.member.2.Value')).toBe('healthlake-connector-deliverer');
  });
});
