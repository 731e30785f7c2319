import { DescribeStacksCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';

/**
 * The connector stack's outputs `hlc --stack` reads, by the CLI setting each one fills
 * (infra/stacks/connectorOutputs.ts creates them under these names).
 */
export const HLC_STACK_OUTPUTS = {
  apiUrl: 'IngestApiUrl',
  auth: 'IngestAuthMode',
  deliveryQueueUrl: 'DeliveryQueueUrl',
  dlqUrl: 'DeliveryDeadLetterQueueUrl',
  backfillQueueUrl: 'BackfillQueueUrl',
  backfillDlqUrl: 'BackfillDeadLetterQueueUrl',
  sqlQueueUrl: 'SqlQueueUrl',
  sqlDlqUrl: 'SqlDeadLetterQueueUrl',
  deliveryMappingId: 'DeliveryEventSourceMappingId',
  delivererFunction: 'DelivererFunctionName',
  connectorId: 'ConnectorId',
} as const;

export type StackSetting = keyof typeof HLC_STACK_OUTPUTS;
/** The settings a stack's outputs gave; an output the stack lacks is absent. */
export type StackSettings = Partial<Record<StackSetting, string>>;

/** A stack name (letters, digits, `-`, starting with a letter) or a stack ARN. */
const STACK_REF =
  /^(?:[A-Za-z][A-Za-z0-9-]{0,127}|arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]{0,127}\/[0-9a-f-]{36})$/;
/** An https URL without credentials (the API URL gets the admin token). */
const HTTPS_URL = /^https:\/\/[^\s/?#@]+(?:\/[^\s?#]*)?$/;
/** A queue URL: https, or http on this machine (the local SQS stand-in: 127.0.0.1, *.localhost). */
const QUEUE_URL =
  /^(?:https:\/\/[^\s/?#@]+|http:\/\/(?:127\.0\.0\.1|(?:[a-z0-9-]+\.)*localhost)(?::\d{1,5})?)\/[^\s?#]+$/;
/** What each output may hold; anything else is refused rather than used (a URL gets the token). */
const VALUE_PATTERNS: Readonly<Record<StackSetting, RegExp>> = {
  apiUrl: HTTPS_URL,
  auth: /^(?:bearer|iam)$/,
  deliveryQueueUrl: QUEUE_URL,
  dlqUrl: QUEUE_URL,
  backfillQueueUrl: QUEUE_URL,
  backfillDlqUrl: QUEUE_URL,
  sqlQueueUrl: QUEUE_URL,
  sqlDlqUrl: QUEUE_URL,
  deliveryMappingId: /^[A-Za-z0-9-]{1,64}$/,
  delivererFunction: /^[A-Za-z0-9_-]{1,64}$/,
  connectorId: /^[A-Za-z][A-Za-z0-9_-]{0,31}$/,
};
const MAX_VALUE_LENGTH = 2048;

/** The stack could not be read, or its outputs are not what the connector stack writes. */
export class StackOutputsError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'StackOutputsError';
  }
}

/**
 * Reads the connector stack's outputs through CloudFormation `DescribeStacks` and returns the CLI
 * settings they name (queue URLs, API URL and auth mode, the delivery mapping, the connector id).
 * Every value is checked before use; a malformed one is an error naming the output, never quoted.
 *
 * @example
 * const settings = await readStackOutputs(new CloudFormationClient({ region }), 'HealthLakeConnector-clinic-a');
 */
export const readStackOutputs = async (
  cloudFormation: Pick<CloudFormationClient, 'send'>,
  stack: string,
  region: string,
): Promise<StackSettings> => {
  if (!STACK_REF.test(stack)) {
    throw new StackOutputsError(
      '--stack must be a CloudFormation stack name (letters, digits and "-") or a stack ARN',
    );
  }
  let stacks: Stack[];
  try {
    ({ Stacks: stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack })));
  } catch (error) {
    const name = (error as Error).name;
    // CloudFormation answers an unknown stack with ValidationError "Stack with id ... does not exist".
    if (name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
      throw new StackOutputsError(`stack ${stack} does not exist in ${region} (set --region or AWS_REGION)`);
    }
    throw new StackOutputsError(
      `could not read stack ${stack} in ${region}: ${name}: ${(error as Error).message} (hlc --stack needs cloudformation:DescribeStacks)`,
    );
  }
  const [found] = stacks;
  if (!found) throw new StackOutputsError(`stack ${stack} does not exist in ${region}`);
  const outputs = new Map<string | undefined, string | undefined>(
    (found.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
  );
  const settings: StackSettings = {};
  for (const [setting, outputName] of Object.entries(HLC_STACK_OUTPUTS) as [StackSetting, string][]) {
    const value = outputs.get(outputName);
    if (value === undefined || value === '') continue;
    if (value.length > MAX_VALUE_LENGTH || !VALUE_PATTERNS[setting].test(value)) {
      throw new StackOutputsError(
        `stack ${stack}: output ${outputName} is not what the connector stack writes; is this a HealthLake connector stack?`,
      );
    }
    settings[setting] = value;
  }
  if (settings.apiUrl === undefined && settings.deliveryQueueUrl === undefined) {
    throw new StackOutputsError(
      `stack ${stack} has no ${HLC_STACK_OUTPUTS.apiUrl} or ${HLC_STACK_OUTPUTS.deliveryQueueUrl} output: not a HealthLake connector stack`,
    );
  }
  return settings;
};
