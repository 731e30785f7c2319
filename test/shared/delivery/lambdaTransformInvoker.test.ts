import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { TransformError } from '../../../shared/delivery/errors.js';
import { lambdaTransformInvoker } from '../../../shared/delivery/lambdaTransformInvoker.js';

// The Invoke call and how each answer is classified, against a mocked Lambda (transforms.test.ts runs
// real transform modules on the Lambda stand-in).
const lambdaMock = mockClient(LambdaClient);
afterEach(() => lambdaMock.reset());
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:mask';
const invoker = () => lambdaTransformInvoker(new LambdaClient({}), new Map([['mask', ARN]]));
const event = { resource: { resourceType: 'Patient', id: 'p1' } } as never;
const bytes = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));

/** The TransformError `invoke` throws. */
const refusal = async (): Promise<TransformError> => {
  const error = await invoker()
    .invoke('mask', event, { timeoutMs: 1_000 })
    .then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
  expect(error).toBeInstanceOf(TransformError);
  return error as TransformError;
};

describe('lambdaTransformInvoker', () => {
  it('invokes the function the allow-list names, synchronously, with the event as JSON, and returns its payload', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: bytes({ ok: 1 }) as never });
    const payload = await invoker().invoke('mask', event, { timeoutMs: 1_000 });
    expect(JSON.parse(Buffer.from(payload).toString())).toEqual({ ok: 1 });
    const input = lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input.FunctionName).toBe(ARN);
    expect(input.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8'))).toEqual(event);
  });

  it('returns an empty payload when the function answers none', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200 });
    expect(await invoker().invoke('mask', event, { timeoutMs: 1_000 })).toEqual(new Uint8Array());
  });

  it('refuses a transform the deployment does not list, without calling Lambda', async () => {
    const error = await invoker()
      .invoke('other', event, { timeoutMs: 1_000 })
      .catch((thrown: TransformError) => thrown);
    expect(error).toMatchObject({
      kind: 'terminal',
      message: "Transform other is not on this deployment's delivery.transforms",
    });
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('names a function error by its type only, never its message', async () => {
    const answers: [unknown, string][] = [
      [{ errorType: 'TypeError', errorMessage: 'cannot read SECRET-FAMILY' }, 'TypeError'],
      [{ errorType: 'Runtime.ExitError' }, 'Runtime.ExitError'],
      [{ errorType: 'has spaces in it' }, 'unknown'],
      [{ errorType: 'x'.repeat(65) }, 'unknown'],
      [{ errorType: 7 }, 'unknown'],
      ['not an object', 'unknown'],
    ];
    for (const [payload, type] of answers) {
      lambdaMock.on(InvokeCommand).resolves({ FunctionError: 'Unhandled', Payload: bytes(payload) as never });
      const error = await refusal();
      expect(error.kind).toBe('transient');
      expect(error.message).toBe(`Transform mask failed (Unhandled, ${type})`);
    }
    lambdaMock
      .on(InvokeCommand)
      .resolves({ FunctionError: 'Unhandled', Payload: new Uint8Array(Buffer.from('{no json')) as never });
    expect((await refusal()).message).toBe('Transform mask failed (Unhandled, unknown)');
    lambdaMock.on(InvokeCommand).resolves({ FunctionError: 'Handled' });
    expect((await refusal()).message).toBe('Transform mask failed (Handled, unknown)');
  });

  it('takes a function that does not exist or a bad parameter as terminal, anything else as transient', async () => {
    const named = (name: string) => Object.assign(new Error('details'), { name });
    const cases: [string, 'terminal' | 'transient'][] = [
      ['ResourceNotFoundException', 'terminal'],
      ['InvalidParameterValueException', 'terminal'],
      ['TooManyRequestsException', 'transient'],
      ['ServiceException', 'transient'],
    ];
    for (const [name, kind] of cases) {
      const cause = named(name);
      lambdaMock.on(InvokeCommand).rejects(cause);
      const error = await refusal();
      expect(error).toMatchObject({ kind, message: `Invoking transform mask failed: ${name}` });
      expect(error.cause).toBe(cause);
    }
  });

  it('says a transform that did not answer in time timed out, transiently', async () => {
    for (const name of ['AbortError', 'TimeoutError']) {
      lambdaMock.on(InvokeCommand).rejects(Object.assign(new Error('aborted'), { name }));
      expect(await refusal()).toMatchObject({
        kind: 'transient',
        message: 'Transform mask did not answer within 1000 ms',
      });
    }
  });
});
