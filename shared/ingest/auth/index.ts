export { createAuthenticator } from './createAuthenticator.js';
export type { AuthenticatorOptions } from './createAuthenticator.js';
export { hashToken } from './hashToken.js';
export { parseTokenHashes, powertoolsTokenSource } from './powertoolsTokenSource.js';
export type { PowertoolsTokenSourceOptions } from './powertoolsTokenSource.js';
export { AUTH_MODES } from './types.js';
export type { AuthInput, AuthMode, AuthResult, Authenticator, TokenHashSource } from './types.js';
