import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { TransformFunctions } from '../subscriptions/transforms.js';
import { TransformError } from './errors.js';
import type { TransformInvoker } from './transformInvoker.js';

/** Lambda errors that say the transform's configuration is wrong, not that it is busy. */
const TERMINAL_ERRORS = new Set(['ResourceNotFoundException', 'InvalidParameterValueException']);

/** The `errorType` of a function error's payload (a JavaScript error name), never its message. */
const errorTypeOf = (payload: Uint8Array | undefined): string => {
  try {
    const type = (JSON.parse(Buffer.from(payload ?? []).toString('utf8')) as { errorType?: unknown })
      .errorType;
    return typeof type === 'string' && /^[A-Za-z0-9_.]{1,64}$/.test(type) ? type : 'unknown';
  } catch {
    return 'unknown';
  }
};

/**
 * Transforms as Lambda functions: `Invoke` (RequestResponse) of the function the allow-list names for
 * the transform, with the event as its payload and the time limit as the request's abort signal.
 * Throttling, service errors, a timeout and a function error (the function threw, or hit its own
 * timeout) are transient; an unknown name or a function that does not exist is terminal. Causes carry
 * the error's type, never the function's message (it may quote the resource).
 *
 * @example
 * const transforms = lambdaTransformInvoker(new LambdaClient({}), parseTransforms(process.env.DELIVERY_TRANSFORMS ?? ''));
 */
export const lambdaTransformInvoker = (
  lambda: Pick<LambdaClient, 'send'>,
  functions: TransformFunctions,
): TransformInvoker => ({
  invoke: async (name, event, { timeoutMs }) => {
    const functionArn = functions.get(name);
    if (functionArn === undefined) {
      throw new TransformError(
        'terminal',
        `Transform ${name} is not on this deployment's delivery.transforms`,
      );
    }
    let output;
    try {
      output = await lambda.send(
        new InvokeCommand({
          FunctionName: functionArn,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(event), 'utf8'),
        }),
        { abortSignal: AbortSignal.timeout(timeoutMs) },
      );
    } catch (error) {
      const type = error instanceof Error ? error.name : 'unknown';
      if (type === 'AbortError' || type === 'TimeoutError') {
        throw new TransformError('transient', `Transform ${name} did not answer within ${timeoutMs} ms`, {
          cause: error,
        });
      }
      throw new TransformError(
        TERMINAL_ERRORS.has(type) ? 'terminal' : 'transient',
        `Invoking transform ${name} failed: ${type}`,
        { cause: error },
      );
    }
    if (output.FunctionError !== undefined) {
      throw new TransformError(
        'transient',
        `Transform ${name} failed (${output.FunctionError}, ${errorTypeOf(output.Payload)})`,
      );
    }
    return output.Payload ?? new Uint8Array();
  },
});
