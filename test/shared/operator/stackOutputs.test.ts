import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HLC_STACK_OUTPUTS,
  readStackOutputs,
  StackOutputsError,
} from '../../../shared/operator/stackOutputs.js';

// The value checks of `hlc --stack` without a stack: CloudFormation is mocked, so every output
// pattern can be tried at its edges (test/bin/hlcStack.test.ts runs the CLI against synthesized outputs).
const cloudFormation = mockClient(CloudFormationClient);
afterEach(() => cloudFormation.reset());

const REGION = 'eu-west-1';
const STACK = 'HealthLakeConnector-clinic-a';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/delivery.fifo';

/** Every output a deployed connector stack writes, each at a valid value. */
const VALID: Record<keyof typeof HLC_STACK_OUTPUTS, string> = {
  apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
  auth: 'bearer',
  deliveryQueueUrl: QUEUE,
  dlqUrl: `${QUEUE}-dlq`,
  backfillQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/backfill',
  backfillDlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/backfill-dlq',
  sqlQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sql.fifo',
  sqlDlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sql-dlq.fifo',
  deliveryMappingId: '3f1c2a9e-5b7d-4e21-9a0c-1d2e3f4a5b6c',
  delivererFunction: 'HealthLakeConnector-Deliverer_1',
  connectorId: 'clinic-a',
};

const outputsOf = (values: Partial<Record<keyof typeof HLC_STACK_OUTPUTS, string>>): Output[] =>
  Object.entries(values).map(([setting, value]) => ({
    OutputKey: HLC_STACK_OUTPUTS[setting as keyof typeof HLC_STACK_OUTPUTS],
    OutputValue: value,
  }));

const answer = (outputs: Output[] | undefined) =>
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      { StackName: STACK, CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: outputs },
    ],
  });

const read = (stack = STACK) => readStackOutputs(new CloudFormationClient({ region: REGION }), stack, REGION);

/** The error `read` throws (it must throw a StackOutputsError). */
const failure = async (stack = STACK): Promise<StackOutputsError> => {
  const error = await read(stack).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StackOutputsError);
  expect((error as Error).name).toBe('StackOutputsError');
  return error as StackOutputsError;
};

describe('readStackOutputs', () => {
  it('returns every setting the outputs name, asking CloudFormation for the stack given', async () => {
    answer([...outputsOf(VALID), { OutputKey: 'SomethingElse', OutputValue: 'ignored' }]);
    expect(await read()).toEqual(VALID);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: STACK,
    });
  });

  it('leaves out a setting whose output is absent or empty', async () => {
    answer([
      ...outputsOf({ apiUrl: VALID.apiUrl, auth: 'iam' }),
      { OutputKey: HLC_STACK_OUTPUTS.sqlQueueUrl, OutputValue: '' },
      { OutputKey: HLC_STACK_OUTPUTS.connectorId },
    ]);
    expect(await read()).toEqual({ apiUrl: VALID.apiUrl, auth: 'iam' });
  });

  it('needs the API URL or the delivery queue: either alone is a connector stack', async () => {
    answer(outputsOf({ deliveryQueueUrl: QUEUE }));
    expect(await read()).toEqual({ deliveryQueueUrl: QUEUE });
    answer(outputsOf({ connectorId: 'clinic-a', dlqUrl: VALID.dlqUrl }));
    expect((await failure()).message).toBe(
      `stack ${STACK} has no IngestApiUrl or DeliveryQueueUrl output: not a HealthLake connector stack`,
    );
    answer(undefined);
    expect((await failure()).message).toMatch(/has no IngestApiUrl or DeliveryQueueUrl output/);
  });

  it('accepts stack names and stack ARNs, and refuses anything else before calling CloudFormation', async () => {
    answer(outputsOf({ deliveryQueueUrl: QUEUE }));
    const arn = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${STACK}/0f2c6a10-1b2c-11ef-9c3d-0a1b2c3d4e5f`;
    for (const stack of ['A', 'a'.repeat(128), STACK, arn, arn.replace('arn:aws:', 'arn:aws-us-gov:')]) {
      expect(await read(stack)).toEqual({ deliveryQueueUrl: QUEUE });
    }
    const refused = [
      '',
      '1stack',
      '-stack',
      'a'.repeat(129),
      'stack name',
      'stack_name',
      `${STACK}\n`,
      `x${arn}`,
      `${arn}x`,
      arn.replace('123456789012', '12345678901'),
      arn.replace('0f2c6a10-1b2c-11ef-9c3d-0a1b2c3d4e5f', 'not-a-uuid-at-all-but-long-enough-zz'),
    ];
    for (const stack of refused) {
      expect((await failure(stack)).message).toBe(
        '--stack must be a CloudFormation stack name (letters, digits and "-") or a stack ARN',
      );
    }
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(5);
  });

  it('says when the stack does not exist, in which region', async () => {
    const missing = Object.assign(new Error(`Stack with id ${STACK} does not exist`), {
      name: 'ValidationError',
    });
    cloudFormation.on(DescribeStacksCommand).rejects(missing);
    expect((await failure()).message).toBe(
      `stack ${STACK} does not exist in ${REGION} (set --region or AWS_REGION)`,
    );
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [] });
    expect((await failure()).message).toBe(`stack ${STACK} does not exist in ${REGION}`);
    cloudFormation.on(DescribeStacksCommand).resolves({});
    expect((await failure()).message).toBe(`stack ${STACK} does not exist in ${REGION}`);
  });

  it('names the failure and the permission when CloudFormation cannot be read', async () => {
    const denied = Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' });
    cloudFormation.on(DescribeStacksCommand).rejects(denied);
    expect((await failure()).message).toBe(
      `could not read stack ${STACK} in ${REGION}: AccessDenied: User is not authorized (hlc --stack needs cloudformation:DescribeStacks)`,
    );
    // A ValidationError about something else is not "does not exist".
    const other = Object.assign(new Error('Rate exceeded'), { name: 'ValidationError' });
    cloudFormation.on(DescribeStacksCommand).rejects(other);
    expect((await failure()).message).toMatch(/^could not read stack .*: ValidationError: Rate exceeded/);
  });

  describe('refuses an output that is not what the connector stack writes, naming it without quoting it', () => {
    const refusals: [keyof typeof HLC_STACK_OUTPUTS, string][] = [
      ['apiUrl', 'http://abc123.execute-api.eu-west-1.amazonaws.com/prod/'],
      ['apiUrl', 'https://user:secret@evil.example/prod/'],
      ['apiUrl', 'https://evil.example/prod?x=1'],
      ['apiUrl', 'https://evil.example/prod#x'],
      ['apiUrl', 'https://evil.example/a b'],
      ['apiUrl', ' https://evil.example/'],
      ['apiUrl', 'https://'],
      ['auth', 'none'],
      ['auth', 'bearer '],
      ['auth', 'xbearer'],
      ['deliveryQueueUrl', 'http://sqs.eu-west-1.amazonaws.com/123456789012/delivery.fifo'],
      ['deliveryQueueUrl', 'http://evil.example/q'],
      ['deliveryQueueUrl', 'http://127.0.0.1.evil.example/q'],
      ['deliveryQueueUrl', 'https://sqs.eu-west-1.amazonaws.com/'],
      ['deliveryQueueUrl', 'https://sqs.eu-west-1.amazonaws.com'],
      ['deliveryQueueUrl', `${QUEUE}?Action=DeleteQueue`],
      ['deliveryQueueUrl', `x${QUEUE}`],
      ['dlqUrl', 'https://user@sqs.example/q'],
      ['backfillQueueUrl', 'ftp://sqs.example/q'],
      ['backfillDlqUrl', 'https://sqs.example/q#f'],
      ['sqlQueueUrl', 'http://localhost.evil.example/q'],
      ['sqlDlqUrl', 'https://sqs.example/a b'],
      ['deliveryMappingId', ''.padEnd(65, 'a')],
      ['deliveryMappingId', 'id with space'],
      ['deliveryMappingId', 'id_underscore'],
      ['delivererFunction', ''.padEnd(65, 'f')],
      ['delivererFunction', 'name.with.dots'],
      ['delivererFunction', 'arn:aws:lambda:x'],
      ['connectorId', '1clinic'],
      ['connectorId', `c${'x'.repeat(32)}`],
      ['connectorId', 'clinic a'],
      ['connectorId', 'clinic/a'],
    ];
    it.each(refusals)('%s = %j', async (setting, value) => {
      answer(outputsOf({ ...VALID, [setting]: value }));
      const { message } = await failure();
      expect(message).toBe(
        `stack ${STACK}: output ${HLC_STACK_OUTPUTS[setting]} is not what the connector stack writes; is this a HealthLake connector stack?`,
      );
    });

    it('any value past 2,048 characters, even one its pattern would take', async () => {
      const long = `https://sqs.example/${'q'.repeat(2048 - 'https://sqs.example/'.length)}`;
      expect(long).toHaveLength(2048);
      answer(outputsOf({ deliveryQueueUrl: long }));
      expect(await read()).toEqual({ deliveryQueueUrl: long });
      answer(outputsOf({ deliveryQueueUrl: `${long}q` }));
      expect((await failure()).message).toMatch(
        /output DeliveryQueueUrl is not what the connector stack writes/,
      );
    });
  });

  it('takes the local stand-in queue URLs: http only on this machine', async () => {
    const local = [
      'http://127.0.0.1:4566/000000000000/delivery.fifo',
      'http://127.0.0.1/q',
      'http://sqs.localhost:9324/q',
      'http://a.b-c.localhost/q',
      'http://localhost:1/q',
    ];
    for (const url of local) {
      answer(outputsOf({ deliveryQueueUrl: url }));
      expect(await read()).toEqual({ deliveryQueueUrl: url });
    }
    for (const url of ['http://127.0.0.1:123456/q', 'http://LOCALHOST/q', 'http://127.0.0.2/q']) {
      answer(outputsOf({ deliveryQueueUrl: url }));
      await failure();
    }
  });

  it('takes the edges of each name pattern', async () => {
    const edges = {
      deliveryQueueUrl: QUEUE,
      deliveryMappingId: 'a'.repeat(64),
      delivererFunction: `${'F'.repeat(63)}_`,
      connectorId: `C${'-'.repeat(31)}`,
      auth: 'iam',
      apiUrl: 'https://api.example',
    };
    answer(outputsOf(edges));
    expect(await read()).toEqual(edges);
  });
});
