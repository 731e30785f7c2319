/**
 * Thrown by the app when the connector configuration is invalid. The message lists every problem,
 * one per line, so a user fixes them all in one pass instead of one synth at a time.
 */
export class InvalidConfigurationError extends Error {
  public readonly problems: readonly string[];

  public constructor(source: string, problems: readonly string[]) {
    super(
      `The connector configuration (${source}) has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
    this.name = 'InvalidConfigurationError';
    this.problems = problems;
  }
}
