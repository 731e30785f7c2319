import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { GetEventSourceMappingCommand, LambdaClient, ListTagsCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import { resolveCliConfig } from '../../bin/cliConfig.js';
import { runCli, type CliIo } from '../../bin/runCli.js';
import {
  HLC_STACK_OUTPUTS,
  readStackOutputs,
  StackOutputsError,
} from '../../shared/operator/stackOutputs.js';
import {
  awsClientConfig,
  startAwsStandins,
  TEST_CREDENTIALS,
  type AwsStandins,
} from '../../local/standins/aws.js';
import { buildTestApp } from '../infra/connectorAppFixture.js';
import { logicalIdStartingWith } from '../infra/templateQueries.js';

type TemplateJson = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs: Record<string, { Value: unknown }>;
};

const capture = (env: NodeJS.ProcessEnv) => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), isTTY: false, env };
  return { io, out, err, text: () => out.join('\n') };
};

/**
 * What CloudFormation would answer for the template's outputs: every queue is a real queue on the
 * SQS stand-in (Ref = its URL), other resources get made-up physical ids.
 */
const resolver = (config: ConnectorConfig, template: TemplateJson, queueUrls: Map<string, string>) => {
  // Physical ids as short as real ones (a mapping UUID is 36 characters, a function name at most 64).
  const physical = (id: string) => `physical-${id.slice(0, 27)}`;
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const node = value as Record<string, unknown>;
    if ('Ref' in node) {
      const id = node.Ref as string;
      const pseudo: Record<string, string> = {
        'AWS::Region': config.region,
        'AWS::AccountId': config.account,
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::Partition': 'aws',
      };
      return pseudo[id] ?? queueUrls.get(id) ?? physical(id);
    }
    if ('Fn::GetAtt' in node) {
      const [id, attribute] = node['Fn::GetAtt'] as [string, string];
      if (template.Resources[id]?.Type === 'AWS::SQS::Queue' && attribute === 'Arn') {
        return `arn:aws:sqs:${config.region}:${config.account}:${queueUrls.get(id)?.split('/').pop()}`;
      }
      return `${physical(id)}-${attribute}`;
    }
    if ('Fn::Join' in node) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    throw new Error(`unresolved intrinsic ${JSON.stringify(value)}`);
  };
  return resolve;
};

describe('CLI: hlc --stack', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  const lambda = mockClient(LambdaClient);
  let aws: AwsStandins;
  let sqs: SQSClient;
  let config: ConnectorConfig;
  let template: TemplateJson;
  let stackName: string;
  let outputs: Output[];
  const queueUrls = new Map<string, string>();
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  beforeAll(async () => {
    // Infrastructure only: the functions' code does not change the outputs (no esbuild bundling).
    const built = buildTestApp({}, { bundle: false });
    config = built.config;
    stackName = built.built.connector.stackName;
    template = Template.fromStack(built.built.connector).toJSON() as TemplateJson;
    aws = await startAwsStandins();
    sqs = new SQSClient(awsClientConfig(aws.sqsEndpoint));
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::SQS::Queue') continue;
      const fifo = resource.Properties?.FifoQueue === true;
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({
          QueueName: `${id.slice(0, 70)}${fifo ? '.fifo' : ''}`,
          ...(fifo ? { Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } } : {}),
        }),
      );
      queueUrls.set(id, QueueUrl as string);
    }
    const resolve = resolver(config, template, queueUrls);
    outputs = Object.entries(template.Outputs).map(([OutputKey, output]) => ({
      OutputKey,
      OutputValue: resolve(output.Value),
    }));
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  }, 300_000);

  afterEach(() => {
    cloudFormation.reset();
    lambda.reset();
  });

  afterAll(async () => {
    sqs?.destroy();
    await aws?.stop();
    cloudFormation.restore();
    lambda.restore();
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  });

  const answerDescribeStacks = () =>
    cloudFormation
      .on(DescribeStacksCommand, { StackName: stackName })
      .resolves({ Stacks: [{ StackName: stackName, Outputs: outputs } as never] });

  it('the synthesized stack outputs every value hlc reads from it (the SQL queues only with sqlTarget)', () => {
    const sqlOnly: string[] = [HLC_STACK_OUTPUTS.sqlQueueUrl, HLC_STACK_OUTPUTS.sqlDlqUrl];
    const always = Object.values(HLC_STACK_OUTPUTS).filter((name) => !sqlOnly.includes(name));
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(always));
    expect(Object.keys(template.Outputs)).not.toEqual(expect.arrayContaining(sqlOnly));
  });

  it('configures everything from the stack outputs alone: API, auth mode, the four queues, the delivery mapping, the connector id', async () => {
    answerDescribeStacks();
    const resolved = await resolveCliConfig({ stack: stackName }, {}, { discover: true });
    const output = (name: string) => outputs.find((entry) => entry.OutputKey === name)?.OutputValue;
    const queue = (prefix: string) =>
      queueUrls.get(logicalIdStartingWith(Template.fromJSON(template), 'AWS::SQS::Queue', prefix));
    expect(resolved).toMatchObject({
      apiUrl: output('IngestApiUrl'),
      auth: config.ingest.authMode,
      deliveryQueueUrl: queue('DeliveryQueue'),
      dlqUrl: queue('DeliveryDeadLetterQueue'),
      backfillQueueUrl: queue('BackfillQueue'),
      backfillDlqUrl: queue('BackfillDeadLetterQueue'),
      deliveryMappingId: output('DeliveryEventSourceMappingId'),
      delivererFunction: output('DelivererFunctionName'),
      connectorId: config.connectorId,
      stack: stackName,
    });
    expect(resolved.apiUrl).toMatch(/^https:\/\/physical-\w+\.execute-api\.us-east-1\.amazonaws\.com\//);
    // Local mode is not asked once a stack names the queues.
    expect(resolved.local).toBeUndefined();
    // Flags and variables still win over the outputs.
    answerDescribeStacks();
    const overridden = await resolveCliConfig(
      { stack: stackName, 'dlq-url': 'https://sqs.example/1/other.fifo' },
      { HLC_API_URL: 'https://api.example/fhir' },
      { discover: true },
    );
    expect(overridden).toMatchObject({
      dlqUrl: 'https://sqs.example/1/other.fifo',
      apiUrl: 'https://api.example/fhir',
    });
  });

  it('hlc status --stack reads each queue the stack names and the delivery state of its mapping', async () => {
    answerDescribeStacks();
    const mappingId = outputs.find(
      (entry) => entry.OutputKey === 'DeliveryEventSourceMappingId',
    )?.OutputValue;
    lambda.on(GetEventSourceMappingCommand, { UUID: mappingId }).resolves({
      UUID: mappingId,
      State: 'Enabled',
      EventSourceMappingArn: `arn:aws:lambda:us-east-1:${config.account}:event-source-mapping:${mappingId}`,
    });
    lambda.on(ListTagsCommand).resolves({ Tags: { 'healthlake-connector:delivery': 'running' } });
    // A different number of messages in each queue, so a swapped queue would show.
    const ids = Template.fromJSON(template);
    const counts: [string, number][] = [
      ['DeliveryQueue', 1],
      ['DeliveryDeadLetterQueue', 2],
      ['BackfillQueue', 3],
      ['BackfillDeadLetterQueue', 4],
    ];
    for (const [prefix, count] of counts) {
      const url = queueUrls.get(logicalIdStartingWith(ids, 'AWS::SQS::Queue', prefix)) as string;
      for (let index = 0; index < count; index += 1) {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: `{"n":${index}}`,
            ...(url.endsWith('.fifo') ? { MessageGroupId: `g${index}` } : {}),
          }),
        );
      }
    }
    const run = capture({
      HLC_SQS_ENDPOINT: aws.sqsEndpoint,
      // No CloudWatch here: status says so and shows everything else.
      HLC_CLOUDWATCH_ENDPOINT: 'http://127.0.0.1:1',
    });
    expect(await runCli(['status', '--stack', stackName], run.io)).toBe(0);
    expect(run.text()).toContain(`delivery: running (event source mapping ${mappingId}: Enabled)`);
    expect(run.text()).toMatch(/^delivery\s+1\s+0\s+0$/m);
    expect(run.text()).toMatch(/^delivery-dlq\s+2\s+0\s+0$/m);
    expect(run.text()).toMatch(/^backfill\s+3\s+0\s+0$/m);
    expect(run.text()).toMatch(/^backfill-dlq\s+4\s+0\s+0$/m);
    const list = capture({ HLC_SQS_ENDPOINT: aws.sqsEndpoint });
    answerDescribeStacks();
    expect(await runCli(['dlq', 'list', '--stack', stackName, '--json'], list.io)).toBe(0);
    expect(JSON.parse(list.text())).toHaveLength(2);
  });

  it('says when the stack does not exist, in which region', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id HealthLakeConnector-nope does not exist'), {
        name: 'ValidationError',
      }),
    );
    const run = capture({ AWS_REGION: 'eu-west-1' });
    expect(await runCli(['status', '--stack', 'HealthLakeConnector-nope'], run.io)).toBe(1);
    expect(run.err.at(-1)).toBe(
      'error: stack HealthLakeConnector-nope does not exist in eu-west-1 (set --region or AWS_REGION)',
    );
  });

  it('refuses an output that is not what the connector stack writes, without quoting it', async () => {
    const evil = [
      'javascript:alert(1)',
      'https://user:pass@evil.example/',
      'ftp://x/',
      'http://api.example/',
    ];
    for (const value of evil) {
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [
          {
            StackName: 'S',
            Outputs: [
              { OutputKey: 'DeliveryQueueUrl', OutputValue: 'https://sqs.us-east-1.amazonaws.com/1/q.fifo' },
              { OutputKey: 'IngestApiUrl', OutputValue: value },
            ],
          } as never,
        ],
      });
      const error = await readStackOutputs(new CloudFormationClient({}), 'S', 'us-east-1').catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(StackOutputsError);
      expect((error as Error).message).toBe(
        'stack S: output IngestApiUrl is not what the connector stack writes; is this a HealthLake connector stack?',
      );
    }
    await expect(readStackOutputs(new CloudFormationClient({}), 'a b', 'us-east-1')).rejects.toThrow(
      /--stack must be a CloudFormation stack name/,
    );
  });
});
