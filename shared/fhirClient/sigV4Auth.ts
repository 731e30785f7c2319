import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { NodeSha256 } from './NodeSha256.js';
import type { SourceAuth } from './SourceAuth.js';

/**
 * SigV4-signs requests to an AWS-hosted source (HealthLake: service `healthlake`) with the function's
 * own credentials, or the operator CLI's requests to an IAM-mode ingest API (service `execute-api`),
 * body included. The provider is expected to cache and refresh (SDK providers are memoized).
 *
 * @example
 * sigV4Auth({ region: 'us-east-1', service: 'healthlake', credentials: new SQSClient({}).config.credentials })
 */
export const sigV4Auth = (options: {
  region: string;
  service?: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}): SourceAuth => {
  const signer = new SignatureV4({
    service: options.service ?? 'healthlake',
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256,
  });
  return {
    headers: async ({ method, url, body }) => {
      const query: Record<string, string | string[]> = {};
      for (const [key, value] of url.searchParams) {
        const existing = query[key];
        query[key] = existing === undefined ? value : [existing, value].flat();
      }
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: url.pathname,
        query,
        headers: { host: url.host, accept: 'application/fhir+json' },
        ...(body === undefined ? {} : { body }),
      });
      const { host: _host, ...headers } = signed.headers;
      return headers;
    },
  };
};
