import {
  deliveryState,
  findDeliveryMapping,
  localDelivery,
  setDeliveryEnabled,
  type DeliveryState,
} from '../../shared/operator/deliverySwitch.js';
import { lambdaClientFor, type CliConfig } from '../cliConfig.js';
import { print, type Command } from '../cliIo.js';
import { deliveryWarnings } from '../deliveryWarnings.js';
import { UsageError } from '../usage.js';

/** Local mode (discovered, no mapping named) switches its poller; otherwise Lambda's event source mapping. */
export const switchDelivery = async (
  config: CliConfig,
  action: 'state' | 'pause' | 'resume',
): Promise<DeliveryState> => {
  if (config.local && !config.deliveryMappingId && !config.delivererFunction) {
    return localDelivery(config.localUrl, action, config.token);
  }
  const lambda = lambdaClientFor(config);
  try {
    const mappingId = await findDeliveryMapping(lambda, {
      ...(config.deliveryMappingId ? { mappingId: config.deliveryMappingId } : {}),
      ...(config.delivererFunction ? { functionName: config.delivererFunction } : {}),
      ...(config.deliveryQueueUrl ? { queueUrl: config.deliveryQueueUrl } : {}),
    });
    return action === 'state'
      ? await deliveryState(lambda, mappingId)
      : await setDeliveryEnabled(lambda, mappingId, action === 'resume');
  } finally {
    lambda.destroy();
  }
};

const DELIVERY_STATE_WORDS: Record<string, string> = {
  Enabled: 'running',
  Enabling: 'resuming',
  Disabled: 'paused',
  Disabling: 'pausing',
};

export const deliveryLine = (state: DeliveryState): string =>
  `${DELIVERY_STATE_WORDS[state.state] ?? state.state} (event source mapping ${state.mappingId}: ${state.state})`;

/** `hlc delivery pause|resume|status`. */
export const delivery: Command = async (context) => {
  const { sub, io } = context;
  if (sub !== 'pause' && sub !== 'resume' && sub !== 'status') {
    throw new UsageError('delivery needs a subcommand: pause | resume | status');
  }
  const result = await switchDelivery(context.config, sub === 'status' ? 'state' : sub);
  const warnings = deliveryWarnings({ ...result, now: new Date() });
  print(context, warnings.length === 0 ? result : { ...result, warnings }, () => {
    io.out(`delivery ${deliveryLine(result)}`);
    for (const warning of warnings) io.out(`warning: ${warning}`);
    if (sub === 'pause') {
      io.out('writes are still accepted and wait in the delivery queue; resume with: hlc delivery resume');
      if (result.mappingId !== 'local') {
        io.out(
          'a deploy that updates the event source mapping resumes delivery unless delivery.paused is true in the configuration',
        );
      }
    }
  });
  return 0;
};
