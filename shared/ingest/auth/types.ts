import type { OperationOutcome } from '@medplum/fhirtypes';

/** What authentication sees of a request. */
export interface AuthInput {
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** API Gateway `requestContext.identity`, filled in when its IAM authorizer verified a SigV4 caller. */
  readonly identity?: { readonly userArn?: string | null; readonly caller?: string | null };
}

export type AuthResult =
  | { readonly ok: true; readonly principal: string; readonly mode: AuthMode }
  | { readonly ok: false; readonly outcome: OperationOutcome; readonly challenge?: string };

export const AUTH_MODES = { bearer: 'bearer', iam: 'iam' } as const;
export type AuthMode = (typeof AUTH_MODES)[keyof typeof AUTH_MODES];

export interface Authenticator {
  authenticate(input: AuthInput): Promise<AuthResult>;
}

/** Supplies the sha256 (hex) hashes of the accepted bearer tokens; may cache and refresh. */
export type TokenHashSource = () => Promise<readonly string[]>;
