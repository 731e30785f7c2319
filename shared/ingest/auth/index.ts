export { createAuthenticator } from './createAuthenticator.js';
export type { AuthenticatorOptions } from './createAuthenticator.js';
export { hashToken } from './hashToken.js';
export { isAdminPrincipal } from './isAdminPrincipal.js';
export { parseTokenList } from './parseTokenList.js';
export { powertoolsTokenSource } from './powertoolsTokenSource.js';
export type { PowertoolsTokenSourceOptions } from './powertoolsTokenSource.js';
export { AUTH_MODES, scopeAllows, TOKEN_SCOPES } from './types.js';
export type {
  AcceptedToken,
  AuthInput,
  AuthMode,
  AuthResult,
  Authenticator,
  TokenScope,
  TokenSource,
} from './types.js';
