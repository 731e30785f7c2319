import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { LocalLogger } from './localLogger.js';

/** Keys Powertools adds to every line; the pretty format leaves them out. */
const STANDARD_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'function_version',
]);

const POWERTOOLS_LEVEL = {
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  silent: 'SILENT',
} as const satisfies Record<LocalLogger['level'], ConstructorOptions['logLevel']>;

/**
 * A Powertools Logger for local mode: the handlers keep their Lambda logger type and behaviour
 * (levels, appended keys, context), but each line is printed through a `LocalLogger`, readable
 * (`pretty`) or JSON, instead of Lambda's JSON on stdout.
 */
export class LocalPowertoolsLogger extends Logger {
  private readonly sink: LocalLogger;

  /**
   * The level is the sink's `--log-level`, so handlers skip building lines that would not print
   * (the deliverer builds its per-message debug line only at DEBUG).
   */
  public constructor(sink: LocalLogger, options: ConstructorOptions = {}) {
    super({ logLevel: POWERTOOLS_LEVEL[sink.level], ...options });
    this.sink = sink;
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new LocalPowertoolsLogger(this.sink, options);
  }

  protected override printLog(_logLevel: number, log: Parameters<Logger['printLog']>[1]): void {
    log.prepareForPrint();
    const attributes = log.getAttributes() as Record<string, unknown>;
    const level = String(attributes.level ?? 'INFO').toLowerCase();
    const extra = Object.fromEntries(Object.entries(attributes).filter(([key]) => !STANDARD_KEYS.has(key)));
    const message = String(attributes.message ?? '');
    if (level === 'debug' || level === 'trace') this.sink.debug(message, extra);
    else if (level === 'warn') this.sink.warn(message, extra);
    else if (level === 'error' || level === 'critical') this.sink.error(message, extra);
    else this.sink.info(message, extra);
  }
}

/**
 * A Powertools Metrics that reports each metric to `onMetric` (local counters) and prints no EMF,
 * so handlers emit their metrics exactly as in Lambda while local mode only counts them.
 */
export class CountingMetrics extends Metrics {
  private readonly onMetric: (name: string, value: number) => void;
  private readonly onSingleMetric: SingleMetricSink;

  public constructor(
    options: ConstructorParameters<typeof Metrics>[0],
    onMetric: (name: string, value: number) => void,
    /** Receives the per-dimension single metrics (e.g. per data store), with their extra dimensions. */
    onSingleMetric: SingleMetricSink = () => undefined,
  ) {
    super(options);
    this.onMetric = onMetric;
    this.onSingleMetric = onSingleMetric;
  }

  public override addMetric(...args: Parameters<Metrics['addMetric']>): this {
    this.onMetric(args[0], args[2]);
    return super.addMetric(...args);
  }

  public override publishStoredMetrics(): this {
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }

  /**
   * Per-dimension single metrics are not counted again in the totals; they go to `onSingleMetric` with
   * the dimensions added to them (local mode counts the per-data-store ones).
   */
  public override singleMetric(): Metrics {
    const dimensions: Record<string, string> = {};
    const sink = this.onSingleMetric;
    const single = new CountingMetrics({ namespace: 'local' }, (name, value) =>
      sink(dimensions, name, value),
    );
    const addDimension = single.addDimension.bind(single);
    single.addDimension = (name: string, value: string) => {
      dimensions[name] = value;
      return addDimension(name, value);
    };
    return single;
  }
}

/** Where a local single metric goes: its added dimensions, name and value. */
export type SingleMetricSink = (
  dimensions: Readonly<Record<string, string>>,
  name: string,
  value: number,
) => void;
