import { ENV } from '../config/constants.js';
import { isUnset, type EnvVar } from '../config/envVar.js';
import { parseTransforms, type TransformFunctions } from '../subscriptions/transforms.js';

/**
 * DELIVERY_TRANSFORMS (`delivery.transforms`): the allow-listed transforms by name, with the Lambda
 * function each runs as. Ingest reads the names (a Subscription may name only these); the deliverer
 * invokes the functions.
 */
export const transformsVar: EnvVar<TransformFunctions> = {
  name: ENV.deliveryTransforms,
  origin: 'stack',
  doc: 'name=functionArn entries (delivery.transforms): the transforms a Subscription may name; unset = none.',
  parse: (raw) => (isUnset(raw) ? new Map() : parseTransforms(raw)),
};
