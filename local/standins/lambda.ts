import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readBody } from './healthlake/standinHttp.js';
import { verifySigV4, type KnownCredential } from './healthlake/sigv4Verifier.js';

/** Lambda's limit on a synchronous invocation's request and response payloads (6 MB). */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Lambda's default function timeout. */
const DEFAULT_TIMEOUT_MS = 3_000;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** A function the stand-in runs: a JavaScript module exporting `handler(event)` (or a default function). */
export interface LocalFunction {
  readonly name: string;
  /** Path of the module (relative to the working directory, or absolute). */
  readonly module: string;
  /** The function's own time limit, as Lambda's `Timeout`. @default 3000 ms */
  readonly timeoutMs?: number;
}

/** One invocation the stand-in answered: no payloads, as the other stand-ins record. */
export interface LocalInvocation {
  readonly functionName: string;
  readonly status: number;
  readonly functionError?: string;
}

export interface LambdaStandin {
  /** The endpoint to point `AWS_ENDPOINT_URL_LAMBDA` at. */
  readonly endpoint: string;
  /** The ARN a function is invoked by (`arn:aws:lambda:{region}:000000000000:function:{name}`). */
  functionArn(name: string): string;
  readonly invocations: LocalInvocation[];
  stop(): Promise<void>;
}

/**
 * A Lambda `Invoke` stand-in (`POST /2015-03-31/functions/{name}/invocations`, RequestResponse) that runs
 * JavaScript modules in this process, for local mode's delivery transforms: the deliverer calls it with
 * the AWS SDK's Lambda client exactly as it calls Lambda. It verifies the SigV4 signature (service
 * `lambda`) against `credentials`, answers `X-Amz-Function-Error: Unhandled` with `{errorType,
 * errorMessage}` when the function throws or runs past its timeout (as Lambda does), and 404
 * `ResourceNotFoundException` for a function it does not have. The function runs in-process: a time
 * limit ends the wait, not a runaway synchronous loop.
 *
 * @example
 * const lambda = await startLambdaStandin({ functions: [{ name: 'mask', module: 'transforms/mask.mjs' }], region, credentials });
 */
export const startLambdaStandin = async (options: {
  readonly functions: readonly LocalFunction[];
  readonly region: string;
  /** Credentials whose signatures are accepted; none = signatures are not checked. */
  readonly credentials: readonly KnownCredential[];
  readonly host?: string;
  readonly port?: number;
}): Promise<LambdaStandin> => {
  const { region } = options;
  const account = '000000000000';
  const functionArn = (name: string) => `arn:aws:lambda:${region}:${account}:function:${name}`;
  const byKey = new Map<string, LocalFunction>();
  for (const fn of options.functions) {
    byKey.set(fn.name, fn);
    byKey.set(functionArn(fn.name), fn);
  }
  const loaded = new Map<string, Promise<(event: unknown) => unknown>>();
  const handlerOf = (fn: LocalFunction) => {
    let handler = loaded.get(fn.name);
    if (!handler) {
      handler = import(pathToFileURL(resolve(fn.module)).href).then((module: Record<string, unknown>) => {
        const exported = module.handler ?? module.default;
        if (typeof exported !== 'function') throw new Error(`${fn.module} exports no handler function`);
        return exported as (event: unknown) => unknown;
      });
      loaded.set(fn.name, handler);
    }
    return handler;
  };
  const invocations: LocalInvocation[] = [];

  const reply = (
    response: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string> = {},
  ) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
  };
  const awsError = (response: ServerResponse, status: number, type: string, message: string) =>
    reply(response, status, JSON.stringify({ Type: 'User', message }), { 'x-amzn-errortype': type });

  const invoke = async (fn: LocalFunction, event: unknown): Promise<{ payload: string; error?: string }> => {
    const timeoutMs = fn.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    try {
      const handler = await handlerOf(fn);
      const result = await Promise.race([
        Promise.resolve().then(() => handler(event)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimedOut(timeoutMs)), timeoutMs);
        }),
      ]);
      return { payload: result === undefined ? 'null' : JSON.stringify(result) };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return {
        payload: JSON.stringify({ errorType: failure.name, errorMessage: failure.message }),
        error: 'Unhandled',
      };
    } finally {
      if (timer) clearTimeout(timer);
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://lambda.local');
    const match = INVOKE_PATH.exec(url.pathname);
    if (request.method !== 'POST' || !match)
      return awsError(response, 404, 'UnknownOperationException', 'Not found');
    const body = await readBody(request, MAX_PAYLOAD_BYTES);
    if (options.credentials.length > 0) {
      const verified = await verifySigV4(
        { method: 'POST', path: url.pathname, rawQuery: url.search.slice(1), headers: request.headers, body },
        {
          service: 'lambda',
          region,
          lookup: (id) => options.credentials.find((credential) => credential.accessKeyId === id),
        },
      );
      if (!verified.ok) return awsError(response, 403, 'AccessDeniedException', verified.message);
    }
    const name = decodeURIComponent(match[1] ?? '');
    const fn = byKey.get(name);
    if (!fn) return awsError(response, 404, 'ResourceNotFoundException', 'Function not found');
    let event: unknown;
    try {
      event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return awsError(
        response,
        400,
        'InvalidRequestContentException',
        'Could not parse request body into json',
      );
    }
    const result = await invoke(fn, event);
    invocations.push({
      functionName: fn.name,
      status: 200,
      ...(result.error ? { functionError: result.error } : {}),
    });
    reply(response, 200, result.payload, {
      'x-amz-executed-version': '$LATEST',
      ...(result.error ? { 'x-amz-function-error': result.error } : {}),
    });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) =>
      awsError(response, 500, 'ServiceException', error instanceof Error ? error.name : 'error'),
    );
  });
  await new Promise<void>((done) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${port}`,
    functionArn,
    invocations,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
};

/** What Lambda answers for a function that ran past its timeout. */
class TimedOut extends Error {
  public constructor(timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}
