import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { IngestLambdaHandler } from '../lambdas/ingest/createIngestHandler.js';
import { LOCAL_ADMIN_PREFIX } from '../shared/operator/localAdmin.js';
import { startLocalApiGateway, type LocalApiGateway } from './apiGateway.js';

export interface IngestApiOptions {
  readonly host: string;
  readonly port: number;
  /** The ingest Lambda handler (built by `ingestHandlerFromEnv`). */
  readonly handler: IngestLambdaHandler;
  /** What `GET /_local/{name}` answers (config, stats); undefined = 404. */
  readonly admin: (name: string) => unknown;
}

/**
 * The ingest API of local mode: the ingest Lambda handler behind the API Gateway stand-in.
 * `GET /_local/config` and `/_local/stats` are answered before the handler (local mode only).
 */
export const startIngestApi = async (options: IngestApiOptions): Promise<LocalApiGateway> => {
  const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return startLocalApiGateway({
    host: options.host,
    port: options.port,
    functionName: 'healthlake-connector-ingest',
    handler: async (event: APIGatewayProxyEvent, context) => {
      if (event.path.startsWith(`${LOCAL_ADMIN_PREFIX}/`) && event.httpMethod === 'GET') {
        const body = options.admin(event.path.slice(LOCAL_ADMIN_PREFIX.length + 1));
        return body === undefined ? json(404, { message: 'Not Found' }) : json(200, body);
      }
      return options.handler(event, context);
    },
  });
};
