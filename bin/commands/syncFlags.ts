/**
 * `hlc sync`'s own options: smileutil `synchronize-fhir-servers` spellings (so an existing script runs
 * unchanged), the source server's authentication and TLS, and the response cap. Options smileutil has
 * that cannot apply here are known, so that they are refused with a reason rather than "unknown".
 */
export const SYNC_OPTIONS = {
  source: { type: 'string', short: 's', multiple: true },
  target: { type: 'string', short: 't', multiple: true },
  'fhir-version': { type: 'string', short: 'v' },
  /** Also reconcile's `--mode`; for sync, smileutil's COPY or SYNTHEA. */
  mode: { type: 'string', short: 'm' },
  'resource-types': { type: 'string', short: 'r', multiple: true },
  'resource-ids': { type: 'string', multiple: true },
  'thread-count': { type: 'string' },
  'target-bearer-token': { type: 'string' },
  'target-retry-count': { type: 'string' },
  'request-id': { type: 'string' },
  'upload-bundles-as-transactions': { type: 'boolean' },
  'source-auth': { type: 'string' },
  'source-bearer-token': { type: 'string' },
  'source-basic-auth': { type: 'string' },
  'source-secret-file': { type: 'string' },
  'source-token-url': { type: 'string' },
  'source-client-id': { type: 'string' },
  'source-client-secret': { type: 'string' },
  'source-scope': { type: 'string' },
  'source-region': { type: 'string' },
  'source-sigv4-service': { type: 'string' },
  'source-cert': { type: 'string' },
  'source-key': { type: 'string' },
  'source-ca': { type: 'string' },
  'max-response-bytes': { type: 'string' },
  'source-page-size': { type: 'string' },
  'source-requests-per-second': { type: 'string' },
  // smileutil options that cannot apply: refused with the reason (refusedSmileutilOptions).
  'source-tls-auth': { type: 'string' },
  'target-tls-auth': { type: 'string' },
  'target-basic-auth': { type: 'string' },
  'semaphore-path': { type: 'string' },
} as const;

/** The smileutil options SYNC_OPTIONS knows only to refuse. */
export const REFUSED_SMILEUTIL_OPTIONS = [
  'source-tls-auth',
  'target-tls-auth',
  'target-basic-auth',
  'semaphore-path',
] as const;
