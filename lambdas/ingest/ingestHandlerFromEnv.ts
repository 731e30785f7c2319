import type { Destroyable, RuntimeSinks } from '../../shared/runtime/runtimeSinks.js';
import { createIngestHandler, type IngestLambdaHandler } from './createIngestHandler.js';
import { ingestDepsFromEnv } from './ingestDepsFromEnv.js';

/**
 * The ingest Lambda handler from its environment: what `handler.ts` exports in Lambda and what local
 * mode puts behind its API Gateway stand-in.
 *
 * @example
 * export const handler = ingestHandlerFromEnv(process.env);
 */
export const ingestHandlerFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
  sinks: RuntimeSinks = {},
): Destroyable<IngestLambdaHandler> => {
  const deps = ingestDepsFromEnv(env, sinks);
  const handler = createIngestHandler(deps);
  return Object.assign((...args: Parameters<IngestLambdaHandler>) => handler(...args), {
    destroy: deps.destroy,
  });
};
