/** Adds credentials to a request to the source FHIR server. */
export interface SourceAuth {
  /** Headers to add to a request (`Authorization`, SigV4 headers, ...); `body` is signed where the scheme signs it. */
  headers(request: { method: string; url: URL; body?: string }): Promise<Record<string, string>>;
  /** Forget cached credentials (called once after a 401, before one retry). */
  invalidate?(): void;
}

export const SOURCE_AUTH_KINDS = ['none', 'bearer', 'basic', 'sigv4', 'oauth2'] as const;
export type SourceAuthKind = (typeof SOURCE_AUTH_KINDS)[number];

export const noAuth = (): SourceAuth => ({ headers: async () => ({}) });

export const bearerAuth = (token: string): SourceAuth => ({
  headers: async () => ({ authorization: `Bearer ${token}` }),
});

export const basicAuth = (username: string, password: string): SourceAuth => ({
  headers: async () => ({
    authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`,
  }),
});
