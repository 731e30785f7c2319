/**
 * What Lambda's `REPORT` log line tells about each invocation (its duration), kept per function by
 * local mode's stand-ins for the Lambda runtime (the API Gateway adapter and the event source mapping
 * poller). `npm run bench -- cost` turns them into invocations and GB-seconds.
 */
export interface InvocationTotals {
  invocations: number;
  /** Sum of the invocations' durations, each rounded up to 1 ms as Lambda bills them. */
  billedMs: number;
}

const totals = new Map<string, InvocationTotals>();

/** Runs one invocation of `functionName` and records its duration, as the Lambda runtime would. */
export const timeInvocation = async <T>(functionName: string, invoke: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  try {
    return await invoke();
  } finally {
    const entry = totals.get(functionName) ?? { invocations: 0, billedMs: 0 };
    entry.invocations += 1;
    entry.billedMs += Math.ceil(performance.now() - started);
    totals.set(functionName, entry);
  }
};

/** The totals since the last reset, per function name. */
export const invocationTotals = (): ReadonlyMap<string, Readonly<InvocationTotals>> =>
  new Map([...totals].map(([name, entry]) => [name, { ...entry }]));

export const resetInvocationTotals = (): void => totals.clear();
