/** Whether a listen address only accepts connections from this machine. */
export const isLoopbackHost = (host: string): boolean =>
  /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|\[::1\]|localhost)$/i.test(host);

/**
 * The loud start-up warning for a local connector bound beyond loopback, or undefined on loopback.
 * Local mode serves development credentials (`/_local/config`) and stand-ins without authentication.
 */
export const exposureWarning = (host: string): string | undefined =>
  isLoopbackHost(host)
    ? undefined
    : `LOCAL MODE IS LISTENING ON ${host}, NOT ONLY ON LOOPBACK: anyone who can reach this machine can reach the ingest API and the stand-ins (HealthLake, STS, SQS, DynamoDB) with their development credentials. Local mode is for development; use --host 127.0.0.1 unless you mean it.`;
