import {
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { LOCAL_ADMIN_PREFIX } from './localAdmin.js';

/**
 * The delivery switch: the deliverer's event source mapping, enabled or disabled. While it is
 * disabled, nothing reads the delivery queue: writes are accepted and wait there (up to the queue's
 * retention period), and delivery resumes where it stopped.
 */
export interface DeliveryState {
  /** Event source mapping state: Enabled, Disabled, or a transition (Enabling, Disabling, ...). */
  readonly state: string;
  /** The mapping's UUID (`local` in local mode). */
  readonly mappingId: string;
}

/** Where the delivery mapping is: its UUID (stack output) or the deliverer's function name. */
export interface DeliveryMappingRef {
  readonly mappingId?: string;
  readonly functionName?: string;
  /** The delivery queue URL, to pick the right mapping when the function has several. */
  readonly queueUrl?: string;
}

type LambdaApi = Pick<LambdaClient, 'send'>;

/** The delivery mapping's UUID: as given, or the deliverer's one mapping of the delivery queue. */
export const findDeliveryMapping = async (lambda: LambdaApi, ref: DeliveryMappingRef): Promise<string> => {
  if (ref.mappingId) return ref.mappingId;
  if (!ref.functionName) {
    throw new Error(
      'No delivery event source mapping: pass --delivery-mapping-id (stack output DeliveryEventSourceMappingId) or --deliverer-function',
    );
  }
  const queueName = ref.queueUrl?.split('/').pop();
  const mappings = [];
  let marker: string | undefined;
  do {
    const page = await lambda.send(
      new ListEventSourceMappingsCommand({
        FunctionName: ref.functionName,
        ...(marker ? { Marker: marker } : {}),
      }),
    );
    mappings.push(...(page.EventSourceMappings ?? []));
    marker = page.NextMarker;
  } while (marker);
  const candidates = queueName
    ? mappings.filter((mapping) => mapping.EventSourceArn?.endsWith(`:${queueName}`))
    : mappings;
  const [only, ...others] = candidates;
  if (!only?.UUID || others.length > 0) {
    throw new Error(
      `Found ${candidates.length} event source mappings of ${ref.functionName}${queueName ? ` for ${queueName}` : ''}; pass --delivery-mapping-id`,
    );
  }
  return only.UUID;
};

/** The mapping's current state. */
export const deliveryState = async (lambda: LambdaApi, mappingId: string): Promise<DeliveryState> => {
  const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: mappingId }));
  return { state: mapping.State ?? 'unknown', mappingId };
};

/**
 * Disables (`enabled` false) or enables the mapping (UpdateEventSourceMapping). Lambda answers with a
 * transition state (Disabling, Enabling) that settles within seconds.
 *
 * @example
 * await setDeliveryEnabled(new LambdaClient({}), await findDeliveryMapping(lambda, { functionName }), false);
 */
export const setDeliveryEnabled = async (
  lambda: LambdaApi,
  mappingId: string,
  enabled: boolean,
): Promise<DeliveryState> => {
  const mapping = await lambda.send(
    new UpdateEventSourceMappingCommand({ UUID: mappingId, Enabled: enabled }),
  );
  return { state: mapping.State ?? 'unknown', mappingId };
};

/** Local mode's switch: `GET|POST {localUrl}/_local/delivery[/pause|/resume]`, with the admin token. */
export const localDelivery = async (
  localUrl: string,
  action: 'state' | 'pause' | 'resume',
  token?: string,
): Promise<DeliveryState> => {
  const base = `${localUrl.replace(/\/+$/, '')}${LOCAL_ADMIN_PREFIX}/delivery`;
  const response = await fetch(action === 'state' ? base : `${base}/${action}`, {
    method: action === 'state' ? 'GET' : 'POST',
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 200) throw new Error(`Local mode answered HTTP ${response.status} to ${action}`);
  return (await response.json()) as DeliveryState;
};
