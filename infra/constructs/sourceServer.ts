import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ENV } from '../../shared/config/constants.js';
import {
  HEALTHLAKE_SOURCE_READ_ACTIONS,
  healthLakeDataStoreArn,
  healthLakeKeyReadStatements,
  type HealthLakeDataStoreRef,
} from './healthLakeDataStores.js';
import { bindSecretReader, type SecretReferenceProps } from './secretReference.js';

/** The source FHIR server (system of record) backfill, reconcile and payload search read from. */
export interface SourceFhirServer {
  readonly baseUrl: string;
  readonly auth: 'none' | 'bearer' | 'basic' | 'oauth2' | 'sigv4';
  /** Credentials (bearer token, basic user/password, OAuth2 client) for the server. */
  readonly secret?: SecretReferenceProps;
  /**
   * For `sigv4` against a HealthLake data store: that data store, granted what the source client calls
   * (read, GET search, capabilities) and, with its key, decrypt through HealthLake.
   */
  readonly sigv4DataStore?: HealthLakeDataStoreRef;
  /** For `sigv4`: signing service (worker default: healthlake) and region (required by the worker). */
  readonly sigv4?: { readonly service?: string; readonly region?: string };
  /** `_count` for searches without one (worker default 100). */
  readonly pageSize?: number;
  /** Most requests per second to the source server (worker default 0 = unlimited). */
  readonly requestsPerSecond?: number;
  /** Largest response body read from the source (worker default 32 MiB). */
  readonly maxResponseBytes?: number;
  /** Client certificate, key and CA bundle for mutual TLS (`{"cert","key","ca"}`). */
  readonly tlsSecret?: SecretReferenceProps;
}

/**
 * Lets `fn` read the source FHIR server: writes the SOURCE_FHIR_* variables (SOURCE_FHIR_ENV), grants
 * read access to the credentials secret (naming it in SOURCE_FHIR_SECRET_ID) and to the TLS secret
 * (SOURCE_FHIR_TLS_SECRET_ID), and, for a SigV4 source
 * that is a HealthLake data store, read, GET search and capabilities on that data store (and decrypt
 * with its key, when it has one). Used by the backfill and
 * reconcile workers and by the deliverer (payload search).
 *
 * @example
 * bindSourceServer(this, worker, { baseUrl: 'https://ehr.example.org/fhir/', auth: 'none' });
 */
export const bindSourceServer = (scope: Construct, fn: lambda.Function, source: SourceFhirServer): void => {
  const environment: Record<string, string | undefined> = {
    [ENV.sourceFhirBaseUrl]: source.baseUrl,
    [ENV.sourceFhirAuth]: source.auth,
    [ENV.sourceFhirPageSize]: source.pageSize === undefined ? undefined : String(source.pageSize),
    [ENV.sourceFhirRequestsPerSecond]:
      source.requestsPerSecond === undefined ? undefined : String(source.requestsPerSecond),
    [ENV.sourceFhirSigV4Service]: source.sigv4?.service,
    [ENV.sourceFhirRegion]: source.sigv4?.region,
    [ENV.sourceFhirMaxResponseBytes]:
      source.maxResponseBytes === undefined ? undefined : String(source.maxResponseBytes),
  };
  for (const [name, value] of Object.entries(environment)) {
    if (value !== undefined) fn.addEnvironment(name, value);
  }
  if (source.secret !== undefined) {
    const { secretId } = bindSecretReader(scope, 'SourceSecret', source.secret, fn);
    fn.addEnvironment(ENV.sourceFhirSecretId, secretId);
  }
  if (source.tlsSecret !== undefined) {
    const { secretId } = bindSecretReader(scope, 'SourceTlsSecret', source.tlsSecret, fn);
    fn.addEnvironment(ENV.sourceFhirTlsSecretId, secretId);
  }
  if (source.auth === 'sigv4' && source.sigv4DataStore !== undefined) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadSourceDataStore',
        actions: [...HEALTHLAKE_SOURCE_READ_ACTIONS],
        resources: [healthLakeDataStoreArn(scope, source.sigv4DataStore)],
      }),
    );
    for (const statement of healthLakeKeyReadStatements([source.sigv4DataStore], 'ReadSourceDataStoreKey')) {
      fn.addToRolePolicy(statement);
    }
  }
};
