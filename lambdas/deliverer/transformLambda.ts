import { LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientConfig } from '../../shared/config/awsEnv.js';
import { type EnvValues } from '../../shared/config/envVar.js';
import { lambdaTransformInvoker } from '../../shared/delivery/lambdaTransformInvoker.js';
import type { TransformInvoker } from '../../shared/delivery/transformInvoker.js';
import { type DELIVERER_CONTRACT } from '../../shared/runtime/delivererContract.js';

/**
 * The transforms as Lambda functions, with a Lambda client built as the function's others are (region,
 * endpoint, credentials from its environment). Its own module, loaded on the first transform, so a
 * deliverer without transforms keeps the Lambda client out of its cold start.
 */
export const transformLambda = (
  values: EnvValues<typeof DELIVERER_CONTRACT>,
): { readonly invoker: TransformInvoker; readonly destroy: () => void } => {
  const lambda = new LambdaClient(awsClientConfig(values, values.lambdaEndpoint));
  return { invoker: lambdaTransformInvoker(lambda, values.transforms), destroy: () => lambda.destroy() };
};
