import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * An S3 client created, and its module loaded, on first use. Only messages whose payload was offloaded
 * to S3 need one, and the S3 client is a sixth of the deliverer's bundle: left out of module
 * initialisation, it costs nothing on a cold start that never reads a payload from S3.
 */
export const lazyS3Client = (config: S3ClientConfig = {}): Pick<S3Client, 'send' | 'destroy'> => {
  let client: Promise<S3Client> | undefined;
  let created: S3Client | undefined;
  const send = async (...args: Parameters<S3Client['send']>) => {
    client ??= import('@aws-sdk/client-s3').then(({ S3Client: Client }) => (created = new Client(config)));
    return (await client).send(...args);
  };
  return { send: send as S3Client['send'], destroy: () => created?.destroy() };
};
