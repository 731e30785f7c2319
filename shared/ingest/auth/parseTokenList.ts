import type { AcceptedToken } from './types.js';
import { TOKEN_SCOPES, type TokenScope } from '../../http/scopes.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SCOPES: ReadonlySet<string> = new Set(Object.values(TOKEN_SCOPES));

/**
 * The accepted tokens in a token secret's value. The format is meant to be read by a person:
 *
 * ```json
 * {"tokens":[{"name":"hapi-prod","scope":"write","sha256":"..."},{"name":"ops","scope":"admin","sha256":"..."}]}
 * ```
 *
 * The older format, a bare JSON list of sha256 hex strings (or of `{"sha256": ...}` objects), still
 * works and grants `write` only. An entry with an unknown scope or without a valid sha256 is ignored
 * rather than trusted (fail closed).
 *
 * @example
 * parseTokenList({ tokens: [{ name: 'ops', scope: 'admin', sha256 }] }); // [{ sha256, scope: 'admin', name: 'ops' }]
 * parseTokenList([sha256]); // [{ sha256, scope: 'write' }]
 */
export const parseTokenList = (value: unknown): AcceptedToken[] => {
  const items = Array.isArray(value)
    ? value
    : value !== null && typeof value === 'object' && Array.isArray((value as { tokens?: unknown }).tokens)
      ? ((value as { tokens: unknown[] }).tokens as unknown[])
      : [];
  const accepted: AcceptedToken[] = [];
  for (const item of items) {
    const entry = typeof item === 'string' ? { sha256: item } : (item as Record<string, unknown> | null);
    if (entry === null || typeof entry !== 'object') continue;
    const sha256 = typeof entry.sha256 === 'string' ? entry.sha256.toLowerCase() : undefined;
    if (sha256 === undefined || !SHA256_HEX.test(sha256)) continue;
    const scope = entry.scope === undefined ? TOKEN_SCOPES.write : entry.scope;
    if (typeof scope !== 'string' || !SCOPES.has(scope)) continue;
    const name = typeof entry.name === 'string' && /^[\w.-]{1,64}$/.test(entry.name) ? entry.name : undefined;
    accepted.push({ sha256, scope: scope as TokenScope, ...(name ? { name } : {}) });
  }
  return accepted;
};
