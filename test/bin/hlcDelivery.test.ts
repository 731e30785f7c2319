import {
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../bin/runCli.js';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { DELIVERY_DEPLOYED_STATE_TAG } from '../../shared/operator/deliverySwitch.js';
import { api, waitFor } from '../e2e/e2eHelpers.js';

const capture = (env: NodeJS.ProcessEnv = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), isTTY: false, env };
  return { io, out, err, text: () => out.join('\n') };
};

const patient = (id: string) => ({ resourceType: 'Patient', id, active: true });

describe('CLI: hlc delivery pause|resume against local mode', () => {
  let connector: LocalConnector;

  beforeAll(async () => {
    connector = await startConnector({ apiPort: 0, logLevel: 'warn', progress: 'off' });
  });

  afterAll(async () => {
    await connector?.stop();
  });

  const hlc = async (...args: string[]) => {
    const run = capture();
    const code = await runCli([...args, '--api', connector.apiUrl, '--token', connector.token], run.io);
    return { code, ...run };
  };

  it('pauses delivery (writes wait in the queue, status says paused), then resumes and delivers them', async () => {
    const standin = connector.healthlake;
    if (!standin) throw new Error('no HealthLake stand-in');
    const paused = await hlc('delivery', 'pause');
    expect(paused.code).toBe(0);
    expect(paused.text()).toMatch(/^delivery paused \(event source mapping local: Disabled\)/);

    const ids = ['paused-1', 'paused-2', 'paused-3'];
    for (const id of ids)
      expect((await api(connector, 'PUT', `Patient/${id}`, patient(id))).status).toBe(200);
    const status = await hlc('status');
    expect(status.code).toBe(0);
    expect(status.text()).toMatch(/^delivery: paused/m);
    // The writes wait in the queue; nothing reached HealthLake.
    const json = await hlc('status', '--json');
    const parsed = JSON.parse(json.text()) as {
      delivery: { state: string };
      queues: { name: string; visible: number }[];
    };
    expect(parsed.delivery.state).toBe('Disabled');
    expect(parsed.queues.find((queue) => queue.name === 'delivery')?.visible).toBe(ids.length);
    expect(ids.filter((id) => standin.current('Patient', id) !== undefined)).toEqual([]);

    const resumed = await hlc('delivery', 'resume');
    expect(resumed.code).toBe(0);
    expect(resumed.text()).toMatch(/^delivery running \(event source mapping local: Enabled\)/);
    await waitFor(() => ids.every((id) => standin.current('Patient', id) !== undefined), {
      message: 'the paused writes delivered after resume',
    });
    expect((await hlc('delivery', 'status')).text()).toMatch(/^delivery running/);
  }, 30_000);

  it('refuses the delivery switch without the admin token: the producer token gets 403', async () => {
    const pause = (token: string) =>
      fetch(`${connector.apiUrl}/_local/delivery/pause`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await pause(connector.writeToken)).status).toBe(403);
    expect((await fetch(`${connector.apiUrl}/_local/delivery/pause`, { method: 'POST' })).status).toBe(401);
    expect(connector.delivery.state).toBe('Enabled');
  });

  it('answers a usage error for an unknown subcommand', async () => {
    const result = await hlc('delivery', 'stop');
    expect(result.code).toBe(2);
    expect(result.err.join('\n')).toMatch(/delivery needs a subcommand: pause \| resume \| status/);
  });
});

describe('CLI: hlc delivery pause|resume against the Lambda API', () => {
  const lambda = mockClient(LambdaClient);
  const QUEUE_URL = 'https://sqs.eu-west-2.amazonaws.com/111111111111/hlc-prod-delivery.fifo';
  const env = { AWS_REGION: 'eu-west-2', HLC_DELIVERY_QUEUE_URL: QUEUE_URL, HLC_DLQ_URL: `${QUEUE_URL}-dlq` };

  afterEach(() => {
    lambda.reset();
  });

  it('disables and enables the deliverer’s mapping of the delivery queue, found by function name', async () => {
    lambda.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: [
        { UUID: 'other', EventSourceArn: 'arn:aws:sqs:eu-west-2:111111111111:something-else' },
        { UUID: 'uuid-1', EventSourceArn: 'arn:aws:sqs:eu-west-2:111111111111:hlc-prod-delivery.fifo' },
      ],
    });
    lambda.on(UpdateEventSourceMappingCommand).callsFake((input: { Enabled: boolean }) => ({
      UUID: 'uuid-1',
      State: input.Enabled ? 'Enabling' : 'Disabling',
    }));
    const pause = capture(env);
    expect(await runCli(['delivery', 'pause', '--deliverer-function', 'hlc-prod-deliverer'], pause.io)).toBe(
      0,
    );
    expect(pause.text()).toMatch(/^delivery pausing \(event source mapping uuid-1: Disabling\)/);
    const resume = capture(env);
    expect(
      await runCli(['delivery', 'resume', '--deliverer-function', 'hlc-prod-deliverer'], resume.io),
    ).toBe(0);
    expect(lambda.commandCalls(ListEventSourceMappingsCommand)[0]?.args[0].input).toEqual({
      FunctionName: 'hlc-prod-deliverer',
    });
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand).map((call) => call.args[0].input)).toEqual([
      { UUID: 'uuid-1', Enabled: false },
      { UUID: 'uuid-1', Enabled: true },
    ]);
  });

  it('uses the mapping id from the stack output directly, and status shows its state', async () => {
    lambda.on(GetEventSourceMappingCommand).resolves({ UUID: 'uuid-2', State: 'Disabled' });
    const result = capture({ ...env, HLC_DELIVERY_MAPPING_ID: 'uuid-2' });
    expect(await runCli(['delivery', 'status', '--json'], result.io)).toBe(0);
    expect(JSON.parse(result.text())).toEqual({ state: 'Disabled', mappingId: 'uuid-2' });
    expect(lambda.commandCalls(ListEventSourceMappingsCommand)).toHaveLength(0);
    expect(lambda.commandCalls(GetEventSourceMappingCommand)[0]?.args[0].input).toEqual({ UUID: 'uuid-2' });
  });

  it('refuses to guess between several mappings, and says what to pass', async () => {
    lambda.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: [{ UUID: 'a' }, { UUID: 'b' }],
    });
    const result = capture({ AWS_REGION: 'eu-west-2' });
    expect(
      await runCli(
        ['delivery', 'pause', '--deliverer-function', 'f', '--local-url', 'http://127.0.0.1:9'],
        result.io,
      ),
    ).toBe(1);
    expect(result.err.join('\n')).toMatch(/Found 2 event source mappings of f; pass --delivery-mapping-id/);
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)).toHaveLength(0);
  });

  describe('the deployed switch position (tag) against the live one', () => {
    // Created when these tests start (not when the file is collected): local mode above uses real SQS.
    let sqs: AwsClientStub<SQSClient>;
    const MAPPING_ARN = 'arn:aws:lambda:eu-west-2:111111111111:event-source-mapping:uuid-3';
    const DAY_MS = 86_400_000;
    const mapping = (state: string, deployed: string, changedDaysAgo: number) => {
      lambda.on(GetEventSourceMappingCommand).resolves({
        UUID: 'uuid-3',
        State: state,
        EventSourceMappingArn: MAPPING_ARN,
        LastModified: new Date(Date.now() - changedDaysAgo * DAY_MS),
      });
      lambda.on(ListTagsCommand, { Resource: MAPPING_ARN }).resolves({
        Tags: { [DELIVERY_DEPLOYED_STATE_TAG]: deployed },
      });
    };
    const deployedEnv = {
      ...env,
      HLC_DELIVERY_MAPPING_ID: 'uuid-3',
      // No CloudWatch here: a closed local port answers at once.
      HLC_CLOUDWATCH_ENDPOINT: 'http://127.0.0.1:9/',
    };

    beforeAll(() => {
      sqs = mockClient(SQSClient);
    });

    afterAll(() => {
      sqs.restore();
    });

    it('warns that a deploy would resume a pause made by hand, and that the pause nears the queue retention', async () => {
      mapping('Disabled', 'running', 8);
      sqs.on(GetQueueAttributesCommand).resolves({
        Attributes: { MessageRetentionPeriod: '1209600', ApproximateNumberOfMessages: '42' },
      });
      const result = capture(deployedEnv);
      expect(await runCli(['status'], result.io)).toBe(0);
      const text = result.text();
      expect(text).toMatch(/^delivery: paused \(event source mapping uuid-3: Disabled\)$/m);
      expect(text).toMatch(
        /^warning: delivery was paused by hand, but the stack deployed it running: a deploy that updates the deliverer's event source mapping resumes delivery\. To keep it paused across deploys, set delivery\.paused to true/m,
      );
      expect(text).toMatch(
        /^warning: delivery has been paused 8\.0 days and queued writes have waited up to 8\.0 days of the delivery queue's 14\.0 days retention: resume within 6\.0 days/m,
      );
      expect(lambda.commandCalls(ListTagsCommand)[0]?.args[0].input).toEqual({ Resource: MAPPING_ARN });
      expect(
        sqs
          .commandCalls(GetQueueAttributesCommand)
          .some((call) => call.args[0].input.AttributeNames?.includes('MessageRetentionPeriod')),
      ).toBe(true);

      const json = capture(deployedEnv);
      expect(await runCli(['status', '--json'], json.io)).toBe(0);
      const parsed = JSON.parse(json.text()) as { delivery: Record<string, unknown>; warnings: string[] };
      expect(parsed.delivery).toMatchObject({ state: 'Disabled', deployedState: 'running' });
      expect(parsed.warnings).toHaveLength(2);
    });

    it('says nothing when the live position is the deployed one and the pause is young', async () => {
      mapping('Disabled', 'paused', 1);
      sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { MessageRetentionPeriod: '1209600' } });
      const result = capture(deployedEnv);
      expect(await runCli(['status'], result.io)).toBe(0);
      expect(result.text()).not.toContain('warning:');
    });

    it('warns on delivery status that a deploy would pause again what was resumed by hand', async () => {
      mapping('Enabled', 'paused', 0);
      const result = capture(deployedEnv);
      expect(await runCli(['delivery', 'status'], result.io)).toBe(0);
      expect(result.text()).toMatch(
        /^warning: delivery was resumed by hand, but the stack deployed it paused \(delivery\.paused is true\)/m,
      );
    });
  });
});
