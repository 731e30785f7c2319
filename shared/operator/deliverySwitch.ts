import {
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  UpdateEventSourceMappingCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { LOCAL_ADMIN_PREFIX } from './localAdmin.js';

/**
 * Tag on the deliverer's event source mapping holding the switch position the stack deployed
 * (`running`, or `paused` with the configuration's `delivery.paused`). A deploy that updates the mapping
 * sets it back to that position, whatever `hlc delivery pause|resume` did since.
 */
export const DELIVERY_DEPLOYED_STATE_TAG = 'healthlake-connector:delivery';

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
  /** When the mapping last changed (a pause, a resume or a deploy), ISO 8601; deployed mappings only. */
  readonly lastModified?: string;
  /** The position the stack deployed (tag DELIVERY_DEPLOYED_STATE_TAG), when it can be read. */
  readonly deployedState?: 'running' | 'paused';
  /** Why the deployed position could not be read (e.g. no lambda:ListTags). */
  readonly deployedStateUnknown?: string;
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

/** The mapping's current state, when it last changed, and the position the stack deployed. */
export const deliveryState = async (lambda: LambdaApi, mappingId: string): Promise<DeliveryState> => {
  const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: mappingId }));
  const state: DeliveryState = {
    state: mapping.State ?? 'unknown',
    mappingId,
    ...(mapping.LastModified ? { lastModified: new Date(mapping.LastModified).toISOString() } : {}),
  };
  if (!mapping.EventSourceMappingArn) return state;
  try {
    const { Tags = {} } = await lambda.send(new ListTagsCommand({ Resource: mapping.EventSourceMappingArn }));
    const deployed = Tags[DELIVERY_DEPLOYED_STATE_TAG];
    return deployed === 'running' || deployed === 'paused'
      ? { ...state, deployedState: deployed }
      : { ...state, deployedStateUnknown: `no ${DELIVERY_DEPLOYED_STATE_TAG} tag on the mapping` };
  } catch (error) {
    return { ...state, deployedStateUnknown: `lambda:ListTags failed: ${(error as Error).name}` };
  }
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
