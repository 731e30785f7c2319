import { timingSafeEqual } from 'node:crypto';
import { forbidden, unauthorized } from '../../fhir/outcomes.js';
import { hashToken } from './hashToken.js';
import { isAdminPrincipal } from './isAdminPrincipal.js';
import { TOKEN_SCOPES } from '../../http/scopes.js';
import {
  type AcceptedToken,
  type AuthInput,
  type AuthMode,
  type AuthResult,
  type Authenticator,
  type TokenSource,
} from './types.js';

export interface AuthenticatorOptions {
  /** Accepted modes; a request may use any of them. */
  readonly modes: readonly AuthMode[];
  /** The accepted bearer tokens with their scopes. Required when `bearer` is a mode. */
  readonly tokens?: TokenSource;
  /**
   * IAM callers granted the `admin` scope (ARNs; a role ARN covers its sessions). Every other IAM
   * caller gets `write`. @default [] (no IAM caller is an administrator)
   */
  readonly adminPrincipalArns?: readonly string[];
}

const CHALLENGE = 'Bearer realm="fhir"';

/**
 * Authenticates every request and says which scope the caller holds. Bearer: the token's sha256 is
 * compared in constant time (`timingSafeEqual`, against every stored hash) with the hashes from the
 * token store, so tokens are never stored and rotation is a matter of editing the list; the matching
 * entry's scope is the caller's. IAM: API Gateway's IAM authorizer has already verified the SigV4
 * signature; a caller identity in the request context is trusted, with `admin` scope only when its ARN
 * is on `adminPrincipalArns`.
 *
 * @example
 * const auth = createAuthenticator({ modes: ['bearer'], tokens: powertoolsTokenSource({ store: 'secretsmanager', name }) });
 * const result = await auth.authenticate({ headers }); // { ok: true, scope: 'write', ... }
 */
export const createAuthenticator = (options: AuthenticatorOptions): Authenticator => {
  const bearer = options.modes.includes('bearer');
  const iam = options.modes.includes('iam');
  if (bearer && !options.tokens) throw new Error('Bearer authentication needs a token source');
  const admins = options.adminPrincipalArns ?? [];
  return {
    authenticate: async (input: AuthInput): Promise<AuthResult> => {
      const authorization = input.headers.authorization;
      const identity = input.identity?.userArn || input.identity?.caller;
      if (iam && identity) {
        const scope = isAdminPrincipal(identity, admins) ? TOKEN_SCOPES.admin : TOKEN_SCOPES.write;
        return { ok: true, principal: identity, mode: 'iam', scope };
      }
      if (authorization !== undefined) {
        const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
        if (!bearer) {
          return { ok: false, outcome: forbidden('This API accepts IAM (SigV4) authentication only') };
        }
        if (!match?.[1]) {
          return {
            ok: false,
            outcome: unauthorized('The Authorization header must be: Bearer <token>'),
            challenge: `${CHALLENGE}, error="invalid_request"`,
          };
        }
        const presented = Buffer.from(hashToken(match[1]), 'hex');
        const accepted = await (options.tokens as TokenSource)();
        let matched: AcceptedToken | undefined;
        for (const token of accepted) {
          const stored = Buffer.from(token.sha256, 'hex');
          // Compare against every hash, so timing reveals neither which nor whether one matched early.
          if (stored.length === presented.length && timingSafeEqual(stored, presented) && !matched)
            matched = token;
        }
        if (matched) {
          return {
            ok: true,
            principal: `token:${matched.name ?? matched.sha256.slice(0, 8)}`,
            mode: 'bearer',
            scope: matched.scope,
          };
        }
        return {
          ok: false,
          outcome: unauthorized('The bearer token is not valid'),
          challenge: `${CHALLENGE}, error="invalid_token"`,
        };
      }
      if (!bearer) return { ok: false, outcome: forbidden('IAM (SigV4) authentication is required') };
      return {
        ok: false,
        outcome: unauthorized('Authentication required: send Authorization: Bearer <token>'),
        challenge: CHALLENGE,
      };
    },
  };
};
