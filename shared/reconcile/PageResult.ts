import { SAMPLES_PER_OUTCOME } from './constants.js';
import type { IdListLine } from './IdListSink.js';
import { COUNT_ONLY_OUTCOMES, type Outcome, type ReconcileJob, type Tally } from './types.js';

/** Collects a page's counts, id-list lines and samples. */
export class PageResult {
  public readonly counts: Record<string, Partial<Tally>> = {};
  public readonly lines: IdListLine[] = [];
  public compared = 0;

  public add(outcome: Outcome, resourceType: string, id: string): void {
    const tally = (this.counts[resourceType] ??= {});
    tally[outcome] = (tally[outcome] ?? 0) + 1;
    if (!COUNT_ONLY_OUTCOMES.has(outcome)) this.lines.push({ outcome, resourceType, id });
  }

  public total(outcome: Outcome): number {
    return Object.values(this.counts).reduce((sum, tally) => sum + (tally[outcome] ?? 0), 0);
  }

  /** Sample keys for outcomes whose samples on the job are not full yet. */
  public samples(existing: readonly string[]): string[] {
    const have = new Map<string, number>();
    for (const sample of existing) {
      const outcome = sample.slice(0, sample.indexOf(' '));
      have.set(outcome, (have.get(outcome) ?? 0) + 1);
    }
    const picked: string[] = [];
    for (const line of this.lines) {
      const count = have.get(line.outcome) ?? 0;
      if (count >= SAMPLES_PER_OUTCOME) continue;
      have.set(line.outcome, count + 1);
      picked.push(`${line.outcome} ${line.resourceType}/${line.id}`);
    }
    return picked;
  }
}

export const totalOf = (job: ReconcileJob, outcome: Outcome): number =>
  Object.values(job.counts).reduce((sum, tally) => sum + tally[outcome], 0);
