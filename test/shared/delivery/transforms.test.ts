import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLambdaStandin, type LambdaStandin } from '../../../local/standins/lambda.js';
import { deliverMessage } from '../../../shared/delivery/deliverMessage.js';
import { lambdaTransformInvoker } from '../../../shared/delivery/lambdaTransformInvoker.js';
import type { TransformInvoker } from '../../../shared/delivery/transformInvoker.js';
import type { DeliverMessageDeps } from '../../../shared/delivery/types.js';
import { deliveryMessage } from '../../helpers/deliveryMessages.js';
import { FakeHealthLake } from '../../helpers/healthLakeFake.js';

const CREDENTIALS = { accessKeyId: 'AKIDTRANSFORMTEST', secretAccessKey: 'transform-test-secret' };

/** Transform modules, each exporting `handler(event)` as a Lambda function would. */
const MODULES: Record<string, string> = {
  mask: `export const handler = async ({ resource }) => ({ ...resource, name: [{ text: 'masked' }], telecom: undefined });`,
  drop: `export const handler = async () => null;`,
  other: `export const handler = async ({ resource }) => ({ ...resource, id: 'someone-else' });`,
  retype: `export const handler = async ({ resource }) => ({ ...resource, resourceType: 'Practitioner' });`,
  invalid: `export const handler = async ({ resource }) => ({ ...resource, gender: 42 });`,
  huge: `export const handler = async ({ resource }) => ({ ...resource, text: { status: 'generated', div: '<div>' + 'x'.repeat(6 * 1024 * 1024) + '</div>' } });`,
  notJson: `export default () => undefined;`,
  throws: `export const handler = async ({ resource }) => { throw new TypeError('cannot read ' + resource.name[0].family); };`,
  slow: `export const handler = () => new Promise((resolve) => setTimeout(() => resolve(null), 5000));`,
};

const patient = {
  resourceType: 'Patient',
  id: 'p1',
  meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' },
  name: [{ family: 'SECRET-FAMILY' }],
  telecom: [{ system: 'phone', value: '555-0100' }],
};

const message = (transform: string) =>
  deliveryMessage({ payload: { kind: 'inline', resource: patient }, subscription: { transform } });

describe('Delivery transforms through the Lambda Invoke API (local Lambda stand-in)', () => {
  let folder: string;
  let lambda: LambdaStandin;
  let client: LambdaClient;
  let invoker: TransformInvoker;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'hlc-transforms-'));
    for (const [name, code] of Object.entries(MODULES)) await writeFile(join(folder, `${name}.mjs`), code);
    lambda = await startLambdaStandin({
      functions: Object.keys(MODULES).map((name) => ({
        name,
        module: join(folder, `${name}.mjs`),
        ...(name === 'slow' ? { timeoutMs: 300 } : {}),
      })),
      region: 'us-east-1',
      credentials: [CREDENTIALS],
    });
    client = new LambdaClient({ region: 'us-east-1', endpoint: lambda.endpoint, credentials: CREDENTIALS });
    invoker = lambdaTransformInvoker(
      client,
      new Map([...Object.keys(MODULES), 'gone'].map((name) => [name, lambda.functionArn(name)])),
    );
  });
  afterAll(async () => {
    client?.destroy();
    await lambda?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  const deps = (healthLake = new FakeHealthLake()): DeliverMessageDeps => ({
    healthLake: () => healthLake,
    transform: invoker,
    transformTimeoutMs: 2_000,
    now: Date.now,
  });

  it('delivers what the transform returns, in place of the resource', async () => {
    const healthLake = new FakeHealthLake();
    expect((await deliverMessage(message('mask'), { attempt: 1 }, deps(healthLake))).kind).toBe('delivered');
    const written = healthLake.calls[0]?.body as Record<string, unknown>;
    expect(written).toMatchObject({ resourceType: 'Patient', id: 'p1', name: [{ text: 'masked' }] });
    expect(written).not.toHaveProperty('telecom');
    expect(JSON.stringify(written)).not.toContain('SECRET-FAMILY');
  });

  it('filters the write, sending nothing, when the transform returns null', async () => {
    const healthLake = new FakeHealthLake();
    expect(await deliverMessage(message('drop'), { attempt: 1 }, deps(healthLake))).toEqual({
      kind: 'filtered',
      by: 'transform',
    });
    expect(await deliverMessage(message('notJson'), { attempt: 1 }, deps(healthLake))).toEqual({
      kind: 'filtered',
      by: 'transform',
    });
    expect(healthLake.calls).toEqual([]);
  });

  it.each([
    ['another id', 'other', 'something other than the Patient it was given'],
    ['another type', 'retype', 'something other than the Patient it was given'],
    ['an invalid resource', 'invalid', 'fails the checks a source copy gets'],
    ['more than 5 MiB', 'huge', 'bytes, more than 5242880'],
  ])(
    'dead-letters at once, with cause transform, a transform returning %s',
    async (_label, name, diagnostics) => {
      const healthLake = new FakeHealthLake();
      const outcome = await deliverMessage(message(name), { attempt: 1 }, deps(healthLake));
      expect(outcome).toMatchObject({
        kind: 'terminal-failure',
        cause: { reason: 'transform', diagnostics: expect.stringContaining(diagnostics) },
      });
      expect(healthLake.calls).toEqual([]);
    },
  );

  it("retries a transform that throws, with the error's type and never its message (which may quote the resource)", async () => {
    const outcome = await deliverMessage(message('throws'), { attempt: 2 }, deps());
    expect(outcome).toMatchObject({
      kind: 'transient-failure',
      cause: {
        reason: 'transform',
        attempt: 2,
        diagnostics: 'Transform throws failed (Unhandled, TypeError)',
      },
    });
    expect(JSON.stringify(outcome)).not.toContain('SECRET-FAMILY');
  });

  it('retries a transform that runs past its own timeout, or past the time the deliverer gives it', async () => {
    // The function's own timeout (300 ms): Lambda answers a function error.
    expect(await deliverMessage(message('slow'), { attempt: 1 }, deps())).toMatchObject({
      kind: 'transient-failure',
      cause: { reason: 'transform', diagnostics: 'Transform slow failed (Unhandled, Sandbox.Timedout)' },
    });
    // The deliverer's limit: at most half of what the invocation has left (here 200 ms of 400 ms).
    const outcome = await deliverMessage(
      message('slow'),
      { attempt: 1, requestTimeoutMs: 400 },
      {
        ...deps(),
        transformTimeoutMs: 60_000,
      },
    );
    expect(outcome).toMatchObject({
      kind: 'transient-failure',
      cause: { reason: 'transform', diagnostics: 'Transform slow did not answer within 200 ms' },
    });
  });

  it('dead-letters a transform whose function does not exist, or that is not allow-listed', async () => {
    expect(await deliverMessage(message('gone'), { attempt: 1 }, deps())).toMatchObject({
      kind: 'terminal-failure',
      cause: {
        reason: 'transform',
        diagnostics: 'Invoking transform gone failed: ResourceNotFoundException',
      },
    });
    expect(await deliverMessage(message('unlisted'), { attempt: 1 }, deps())).toMatchObject({
      kind: 'terminal-failure',
      cause: { diagnostics: "Transform unlisted is not on this deployment's delivery.transforms" },
    });
    const { transform: _none, ...withoutTransforms } = deps();
    expect(await deliverMessage(message('mask'), { attempt: 1 }, withoutTransforms)).toMatchObject({
      kind: 'terminal-failure',
      cause: { reason: 'transform' },
    });
  });

  it('refuses an invocation that is not signed with known credentials', async () => {
    const stranger = new LambdaClient({
      region: 'us-east-1',
      endpoint: lambda.endpoint,
      credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'x' },
    });
    try {
      const outcome = await deliverMessage(
        message('mask'),
        { attempt: 1 },
        {
          ...deps(),
          transform: lambdaTransformInvoker(stranger, new Map([['mask', lambda.functionArn('mask')]])),
        },
      );
      expect(outcome).toMatchObject({
        kind: 'transient-failure',
        cause: { diagnostics: 'Invoking transform mask failed: AccessDeniedException' },
      });
    } finally {
      stranger.destroy();
    }
  });

  it('never transforms a delete', async () => {
    const healthLake = new FakeHealthLake();
    const deletion = deliveryMessage({ operation: 'delete', subscription: { transform: 'throws' } });
    expect((await deliverMessage(deletion, { attempt: 1 }, deps(healthLake))).kind).toBe('deleted');
  });
});
