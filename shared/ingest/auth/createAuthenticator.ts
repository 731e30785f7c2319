import { timingSafeEqual } from 'node:crypto';
import { forbidden, unauthorized } from '../../fhir/outcomes.js';
import { hashToken } from './hashToken.js';
import type { AuthInput, AuthMode, AuthResult, Authenticator, TokenHashSource } from './types.js';

export interface AuthenticatorOptions {
  /** Accepted modes; a request may use any of them. */
  readonly modes: readonly AuthMode[];
  /** Required when `bearer` is a mode. */
  readonly tokenHashes?: TokenHashSource;
}

const CHALLENGE = 'Bearer realm="fhir"';

/**
 * Authenticates every request. Bearer: the token's sha256 is compared in constant time
 * (`timingSafeEqual`, against every stored hash) with the hashes from the token store, so tokens are
 * never stored and rotation is a matter of editing the list. IAM: API Gateway's IAM authorizer has
 * already verified the SigV4 signature; a caller identity in the request context is trusted.
 *
 * @example
 * const auth = createAuthenticator({ modes: ['bearer'], tokenHashes: powertoolsTokenSource({ store: 'secretsmanager', name }) });
 * const result = await auth.authenticate({ headers });
 */
export const createAuthenticator = (options: AuthenticatorOptions): Authenticator => {
  const bearer = options.modes.includes('bearer');
  const iam = options.modes.includes('iam');
  if (bearer && !options.tokenHashes) throw new Error('Bearer authentication needs a token hash source');
  return {
    authenticate: async (input: AuthInput): Promise<AuthResult> => {
      const authorization = input.headers.authorization;
      const identity = input.identity?.userArn || input.identity?.caller;
      if (iam && identity) return { ok: true, principal: identity, mode: 'iam' };
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
        const hashes = await (options.tokenHashes as TokenHashSource)();
        let matched: string | undefined;
        for (const hash of hashes) {
          const stored = Buffer.from(hash, 'hex');
          // Compare against every hash, so timing reveals neither which nor whether one matched early.
          if (stored.length === presented.length && timingSafeEqual(stored, presented) && !matched)
            matched = hash;
        }
        if (matched) return { ok: true, principal: `token:${matched.slice(0, 8)}`, mode: 'bearer' };
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
