import type { OperationOutcome } from '@medplum/fhirtypes';
import type { TokenScope } from '../../http/scopes.js';

/** What authentication sees of a request. */
export interface AuthInput {
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** API Gateway `requestContext.identity`, filled in when its IAM authorizer verified a SigV4 caller. */
  readonly identity?: { readonly userArn?: string | null; readonly caller?: string | null };
}

export type AuthResult =
  | {
      readonly ok: true;
      /** Safe to log: `token:{name}` (or the hash's first 8 hex digits) or the IAM caller ARN. */
      readonly principal: string;
      readonly mode: AuthMode;
      readonly scope: TokenScope;
    }
  | { readonly ok: false; readonly outcome: OperationOutcome; readonly challenge?: string };

export const AUTH_MODES = { bearer: 'bearer', iam: 'iam' } as const;
export type AuthMode = (typeof AUTH_MODES)[keyof typeof AUTH_MODES];

export interface Authenticator {
  authenticate(input: AuthInput): Promise<AuthResult>;
}

/** One accepted bearer token: its sha256 (hex), its scope and an optional name for logs. */
export interface AcceptedToken {
  readonly sha256: string;
  readonly scope: TokenScope;
  readonly name?: string;
}

/** Supplies the accepted bearer tokens; may cache and refresh. */
export type TokenSource = () => Promise<readonly AcceptedToken[]>;
