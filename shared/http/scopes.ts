/**
 * What an authenticated caller may do. `write`: FHIR writes, transactions and batches (and reading
 * `metadata`). `admin`: everything `write` may, plus Subscription management, `$trigger-subscription`,
 * `$backfill-job` and every other operator operation.
 */
export const TOKEN_SCOPES = { write: 'write', admin: 'admin' } as const;
export type TokenScope = (typeof TOKEN_SCOPES)[keyof typeof TOKEN_SCOPES];

/** Whether a caller holding `granted` may do what needs `required` (admin includes write). */
export const scopeAllows = (granted: TokenScope, required: TokenScope): boolean =>
  granted === TOKEN_SCOPES.admin || required === TOKEN_SCOPES.write;
