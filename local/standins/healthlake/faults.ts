/**
 * Fault injection for the FHIR stand-in: random faults at configured rates (seeded, so a test run is
 * reproducible) and scripted faults ("fail the next N requests matching X") for exact scenarios such as
 * "a page that fails twice then succeeds". Scripted faults are consumed before random ones are drawn.
 */

export const FAULT_KINDS = {
  /** HTTP 429, HealthLake's `ThrottlingException`. */
  throttle: 'throttle',
  /** HTTP 500. */
  serverError: 'server-error',
  /** HTTP 503. */
  unavailable: 'unavailable',
  /** Accept the request and never answer (until the client gives up or the stand-in stops). */
  timeout: 'timeout',
  /** Answer normally after `slowMs`. */
  slow: 'slow',
  /** HTTP 400 with issue code `invalid`: a permanent rejection that is not `not-supported` (scripted only). */
  invalid: 'invalid',
  /** HTTP 403 `AccessDeniedException`: the caller's role or key policy refuses it (scripted only). */
  forbidden: 'forbidden',
} as const;
export type FaultKind = (typeof FAULT_KINDS)[keyof typeof FAULT_KINDS];

/** Which requests a scripted fault applies to; every given field must match. */
export interface FaultMatch {
  method?: string;
  resourceType?: string;
  id?: string;
  /** Substring of the request path + query as received (e.g. `_cursor=20`). */
  urlIncludes?: string;
  /** `fhir` (default) or `sts`. */
  target?: 'fhir' | 'sts';
}

export interface ScriptedFault {
  match: FaultMatch;
  fault: FaultKind;
  /** How many matching requests fail; the rule is dropped when it reaches 0. */
  remaining: number;
}

export interface FaultConfig {
  /** Probability (0..1) of answering 429. */
  throttleRate: number;
  /** Probability (0..1) of answering 500 or 503 (chosen at random, half each). */
  serverErrorRate: number;
  /** Probability (0..1) of never answering. */
  timeoutRate: number;
  /** Probability (0..1) of delaying the answer by `slowMs`. */
  slowRate: number;
  slowMs: number;
  /** Seed of the PRNG that draws random faults; the same seed gives the same fault sequence. */
  seed: number;
  /** `Retry-After` seconds sent with 429/503, or undefined for none. */
  retryAfterSeconds: number | undefined;
  /**
   * Service time of every FHIR request: lognormal with this median and 99th percentile (e.g. 80 and
   * 400 ms, a HealthLake PUT as users measure it), drawn from the seeded PRNG. Undefined: answer at once.
   */
  latency: LatencyModel | undefined;
  /**
   * HealthLake's write quota (create, update, delete per second): a token bucket holding one second
   * of writes; a write that finds it empty is answered 429. Undefined: no quota.
   */
  writesPerSecond: number | undefined;
}

export interface LatencyModel {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export const DEFAULT_FAULTS: FaultConfig = {
  throttleRate: 0,
  serverErrorRate: 0,
  timeoutRate: 0,
  slowRate: 0,
  slowMs: 0,
  seed: 1,
  retryAfterSeconds: undefined,
  latency: undefined,
  writesPerSecond: undefined,
};

const WRITE_METHODS = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);
/** z of the 99th percentile of the standard normal distribution. */
const Z99 = 2.326348;

/** What the server should do with one request. `delayMs` applies to answers that are sent. */
export interface FaultDecision {
  fault: FaultKind | undefined;
  delayMs: number;
}

export interface FaultRequestInfo {
  method: string;
  resourceType?: string;
  id?: string;
  url: string;
  target: 'fhir' | 'sts';
}

/** mulberry32: tiny, fast, good enough to spread faults evenly and reproducibly. */
const mulberry32 = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const matches = (match: FaultMatch, request: FaultRequestInfo): boolean =>
  (match.target ?? 'fhir') === request.target &&
  (match.method === undefined || match.method.toUpperCase() === request.method) &&
  (match.resourceType === undefined || match.resourceType === request.resourceType) &&
  (match.id === undefined || match.id === request.id) &&
  (match.urlIncludes === undefined || request.url.includes(match.urlIncludes));

/**
 * The stand-in's runtime-changeable fault settings.
 *
 * @example
 * standin.faults.set({ throttleRate: 0.2, seed: 42 });
 * standin.faults.failNext({ method: 'GET', urlIncludes: '_cursor=' }, 'server-error', 2);
 */
export class FaultInjector {
  private config: FaultConfig;
  private random: () => number;
  private readonly bucket = { tokens: 0, at: 0 };
  private readonly scripted: ScriptedFault[] = [];
  /** How many faults of each kind were injected. */
  public readonly injected: Record<FaultKind, number> = {
    throttle: 0,
    'server-error': 0,
    unavailable: 0,
    timeout: 0,
    slow: 0,
    invalid: 0,
    forbidden: 0,
  };
  /** Writes answered 429 because the write quota was exhausted (also counted in `injected.throttle`). */
  public quotaThrottled = 0;

  public constructor(
    config: Partial<FaultConfig> = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.config = { ...DEFAULT_FAULTS, ...config };
    this.random = mulberry32(this.config.seed);
    this.bucket.tokens = this.config.writesPerSecond ?? 0;
    this.bucket.at = this.now();
  }

  /** Changes settings; a new `seed` restarts the random sequence. Rates outside 0..1 are rejected. */
  public set(config: Partial<FaultConfig>): void {
    for (const key of ['throttleRate', 'serverErrorRate', 'timeoutRate', 'slowRate'] as const) {
      const rate = config[key];
      if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new RangeError(`${key} must be within 0..1`);
    }
    if (config.latency && !(config.latency.p50Ms > 0 && config.latency.p99Ms >= config.latency.p50Ms)) {
      throw new RangeError('latency needs 0 < p50Ms <= p99Ms');
    }
    if (config.writesPerSecond !== undefined && !(config.writesPerSecond > 0)) {
      throw new RangeError('writesPerSecond must be positive');
    }
    this.config = { ...this.config, ...config };
    if (config.seed !== undefined) this.random = mulberry32(config.seed);
    if (config.writesPerSecond !== undefined) {
      this.bucket.tokens = config.writesPerSecond;
      this.bucket.at = this.now();
    }
  }

  public get settings(): Readonly<FaultConfig> {
    return this.config;
  }

  /** Fails the next `times` requests matching `match` with `fault`. */
  public failNext(match: FaultMatch, fault: FaultKind, times = 1): void {
    if (times > 0) this.scripted.push({ match, fault, remaining: times });
  }

  /** Clears scripted faults, sets every rate back to 0 and removes the latency model and quota. */
  public reset(): void {
    this.scripted.length = 0;
    this.config = { ...DEFAULT_FAULTS, seed: this.config.seed };
  }

  public pendingScripted(): readonly ScriptedFault[] {
    return this.scripted;
  }

  /**
   * Decides the fault (if any) for one request: a scripted rule first, then the write quota, then a
   * random draw. Every answered FHIR request also gets its service time from the latency model.
   */
  public decide(request: FaultRequestInfo): FaultDecision {
    const ruleIndex = this.scripted.findIndex((rule) => matches(rule.match, request));
    const rule = this.scripted[ruleIndex];
    if (rule) {
      rule.remaining -= 1;
      if (rule.remaining <= 0) this.scripted.splice(ruleIndex, 1);
      return this.record({ fault: rule.fault, delayMs: rule.fault === 'slow' ? this.config.slowMs : 0 });
    }
    if (request.target !== 'fhir') return { fault: undefined, delayMs: 0 };
    if (WRITE_METHODS.has(request.method) && !this.takeWriteToken()) {
      this.quotaThrottled += 1;
      return this.record({ fault: 'throttle', delayMs: 0 });
    }
    const serviceMs = this.serviceTimeMs();
    const { throttleRate, serverErrorRate, timeoutRate, slowRate, slowMs } = this.config;
    if (throttleRate + serverErrorRate + timeoutRate + slowRate === 0)
      return { fault: undefined, delayMs: serviceMs };
    // One draw per request keeps the sequence stable when rates change between runs of equal seed.
    const draw = this.random();
    let threshold = throttleRate;
    if (draw < threshold) return this.record({ fault: 'throttle', delayMs: 0 });
    threshold += serverErrorRate;
    if (draw < threshold) {
      const kind = draw < threshold - serverErrorRate / 2 ? 'server-error' : 'unavailable';
      return this.record({ fault: kind, delayMs: 0 });
    }
    threshold += timeoutRate;
    if (draw < threshold) return this.record({ fault: 'timeout', delayMs: 0 });
    threshold += slowRate;
    if (draw < threshold) return this.record({ fault: 'slow', delayMs: serviceMs + slowMs });
    return { fault: undefined, delayMs: serviceMs };
  }

  /** Refills the bucket for the time passed (at most one second of writes) and takes one token. */
  private takeWriteToken(): boolean {
    const rate = this.config.writesPerSecond;
    if (rate === undefined) return true;
    const now = this.now();
    this.bucket.tokens = Math.min(rate, this.bucket.tokens + ((now - this.bucket.at) / 1000) * rate);
    this.bucket.at = now;
    if (this.bucket.tokens < 1) return false;
    this.bucket.tokens -= 1;
    return true;
  }

  /** A lognormal draw (Box-Muller over the seeded PRNG) with the model's median and 99th percentile. */
  private serviceTimeMs(): number {
    const model = this.config.latency;
    if (!model) return 0;
    const sigma = Math.log(model.p99Ms / model.p50Ms) / Z99;
    const normal = Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
    return model.p50Ms * Math.exp(sigma * normal);
  }

  private record(decision: FaultDecision): FaultDecision {
    if (decision.fault) this.injected[decision.fault] += 1;
    return decision;
  }
}
