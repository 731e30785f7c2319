import { randomBytes } from 'node:crypto';
import { hashToken } from '../ingest/auth/hashToken.js';
import { type AcceptedToken } from '../ingest/auth/types.js';
import { TOKEN_SCOPES, type TokenScope } from '../http/scopes.js';

/** A new bearer token and the entry to add to the token secret's `tokens` list (its hash, never the token). */
export interface NewToken {
  readonly token: string;
  readonly entry: Required<AcceptedToken>;
}

/**
 * Makes a random 256-bit bearer token and its secret entry, e.g. for `hlc token create`.
 *
 * @example
 * const { token, entry } = newToken('hapi-prod', 'write');
 * // secret: {"tokens":[{"name":"hapi-prod","scope":"write","sha256":"..."}]}
 */
export const newToken = (name: string, scope: TokenScope): NewToken => {
  if (!/^[\w.-]{1,64}$/.test(name)) {
    throw new Error('The token name must be 1-64 letters, digits, "_", "." or "-" (it appears in logs)');
  }
  if (scope !== TOKEN_SCOPES.write && scope !== TOKEN_SCOPES.admin) {
    throw new Error('The scope must be write or admin');
  }
  const token = randomBytes(32).toString('hex');
  return { token, entry: { name, scope, sha256: hashToken(token) } };
};
