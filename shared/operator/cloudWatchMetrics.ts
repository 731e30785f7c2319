import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

/** AWS credentials, or a provider of them (an SDK client's `config.credentials` fits). */
interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}
type CredentialSource = Credentials | (() => Promise<Credentials>);

/** One CloudWatch statistic query (GetMetricStatistics, Query protocol). */
export interface MetricQuery {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Maximum' | 'Sum' | 'Average';
  /** Window ending now, seconds. */
  readonly windowSeconds: number;
  readonly periodSeconds: number;
}

export interface CloudWatchOptions {
  readonly region: string;
  readonly credentials: CredentialSource;
  /** Default `https://monitoring.{region}.amazonaws.com`. */
  readonly endpoint?: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
}

/** The datapoints' values, oldest first. */
const parseDatapoints = (xml: string, statistic: string): { at: string; value: number }[] =>
  [...xml.matchAll(/<member>([\s\S]*?)<\/member>/g)]
    .map((match) => {
      const body = match[1] ?? '';
      const at = /<Timestamp>([^<]+)<\/Timestamp>/.exec(body)?.[1] ?? '';
      const value = Number(new RegExp(`<${statistic}>([^<]+)</${statistic}>`).exec(body)?.[1]);
      return { at, value };
    })
    .filter((point) => point.at !== '' && Number.isFinite(point.value))
    .sort((left, right) => left.at.localeCompare(right.at));

/**
 * Reads a CloudWatch statistic with a SigV4-signed `GetMetricStatistics` call (the Query protocol),
 * so the CLI needs no CloudWatch SDK client. Returns the datapoints, oldest first.
 *
 * @example
 * const points = await getMetricStatistics({ region, credentials: sqs.config.credentials }, {
 *   namespace: 'AWS/SQS', metricName: 'ApproximateAgeOfOldestMessage',
 *   dimensions: { QueueName: 'x.fifo' }, statistic: 'Maximum', windowSeconds: 900, periodSeconds: 60 });
 */
export const getMetricStatistics = async (
  options: CloudWatchOptions,
  query: MetricQuery,
): Promise<{ at: string; value: number }[]> => {
  const now = options.now?.() ?? new Date();
  const endpoint = new URL(options.endpoint ?? `https://monitoring.${options.region}.amazonaws.com/`);
  const parameters = new URLSearchParams({
    Action: 'GetMetricStatistics',
    Version: '2010-08-01',
    Namespace: query.namespace,
    MetricName: query.metricName,
    StartTime: new Date(now.getTime() - query.windowSeconds * 1000).toISOString(),
    EndTime: now.toISOString(),
    Period: String(query.periodSeconds),
    'Statistics.member.1': query.statistic,
  });
  Object.entries(query.dimensions).forEach(([name, value], index) => {
    parameters.set(`Dimensions.member.${index + 1}.Name`, name);
    parameters.set(`Dimensions.member.${index + 1}.Value`, value);
  });
  const body = parameters.toString();
  const request = new HttpRequest({
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
    path: endpoint.pathname,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', host: endpoint.host },
    body,
  });
  const signer = new SignatureV4({
    service: 'monitoring',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign(request);
  const response = await (options.fetch ?? fetch)(endpoint.toString(), {
    method: 'POST',
    headers: signed.headers,
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) {
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP ${response.status}`;
    throw new Error(`CloudWatch GetMetricStatistics failed: ${code}`);
  }
  return parseDatapoints(text, query.statistic);
};
