import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { IngestLambdaHandler } from '../lambdas/ingest/createIngestHandler.js';
import { toRawRequest } from '../lambdas/ingest/toRawRequest.js';
import { forbidden, forResponse, httpStatusOf, OperationOutcomeError } from '../shared/fhir/outcomes.js';
import { createAuthenticator } from '../shared/ingest/auth/createAuthenticator.js';
import type { AcceptedToken } from '../shared/ingest/auth/types.js';
import { TOKEN_SCOPES } from '../shared/http/scopes.js';
import { LOCAL_ADMIN_PREFIX } from '../shared/operator/localAdmin.js';
import { startLocalApiGateway, type LocalApiGateway } from './apiGateway.js';

export interface IngestApiOptions {
  readonly host: string;
  readonly port: number;
  /** The ingest Lambda handler (built by `ingestHandlerFromEnv`). */
  readonly handler: IngestLambdaHandler;
  /** The tokens the handler accepts; `/_local/*` needs an admin one (its config view holds credentials). */
  readonly tokens: readonly AcceptedToken[];
  /**
   * What `GET|POST /_local/{name}` answers (GET config, stats, delivery, healthlake[/...]; POST
   * delivery/pause, delivery/resume); undefined = 404; a thrown OperationOutcomeError its status.
   */
  readonly admin: (name: string, method: 'GET' | 'POST') => unknown;
}

/**
 * The ingest API of local mode: the ingest Lambda handler behind the API Gateway stand-in.
 * `/_local/*` (local mode only: GET config, stats, delivery and healthlake[/{type}[/{id}]]; POST
 * delivery/pause and delivery/resume, the switch of `hlc delivery`) is answered before the handler, to
 * the admin token only.
 */
export const startIngestApi = async (options: IngestApiOptions): Promise<LocalApiGateway> => {
  const authenticator = createAuthenticator({ modes: ['bearer'], tokens: async () => [...options.tokens] });
  const json = (
    statusCode: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): APIGatewayProxyResult => ({
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return startLocalApiGateway({
    host: options.host,
    port: options.port,
    functionName: 'healthlake-connector-ingest',
    handler: async (event: APIGatewayProxyEvent, context) => {
      const method = event.httpMethod;
      if (event.path.startsWith(`${LOCAL_ADMIN_PREFIX}/`) && (method === 'GET' || method === 'POST')) {
        const auth = await authenticator.authenticate({ headers: toRawRequest(event).headers });
        if (!auth.ok) {
          return json(
            401,
            forResponse(auth.outcome),
            auth.challenge ? { 'www-authenticate': auth.challenge } : {},
          );
        }
        if (auth.scope !== TOKEN_SCOPES.admin) {
          return json(
            403,
            forResponse(forbidden(`${LOCAL_ADMIN_PREFIX}/* needs the admin (development) token`)),
          );
        }
        let body: unknown;
        try {
          body = await options.admin(event.path.slice(LOCAL_ADMIN_PREFIX.length + 1), method);
        } catch (error) {
          // A refused or unknown name (`/_local/healthlake/Nope`) is an OperationOutcome, as in the API.
          if (!(error instanceof OperationOutcomeError)) throw error;
          return json(httpStatusOf(error.outcome), forResponse(error.outcome));
        }
        return body === undefined ? json(404, { message: 'Not Found' }) : json(200, body);
      }
      return options.handler(event, context);
    },
  });
};
