import { describe, expect, it } from 'vitest';
import {
  formatReconcileReport,
  REPORT_COLUMNS,
  toReconcileView,
} from '../../../shared/operator/reconcileOps.js';

/** A report whose every outcome has its own count, so a shifted column shows. */
const report = () => {
  const tally = (base: number) =>
    REPORT_COLUMNS.map((name, index) => ({ name, valueUnsignedInt: base + index * 111 }));
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'jobId', valueString: 'job-1' },
      { name: 'mode', valueCode: 'compare' },
      { name: 'state', valueCode: 'completed' },
      { name: 'streamCount', valueUnsignedInt: 2 },
      { name: 'streamsDone', valueUnsignedInt: 2 },
      { name: 'total', part: tally(10_000) },
      { name: 'type', part: [{ name: 'resourceType', valueCode: 'Observation' }, ...tally(1)] },
    ],
  };
};

/** Where each cell of a table line ends (cells are separated by two or more spaces). */
const cellEnds = (line: string): number[] =>
  [...line.matchAll(/\S+(?: \S+)*/g)].map((match) => match.index + match[0].length);

describe('Function: formatReconcileReport', () => {
  it('prints one header per outcome and every count under its own header', () => {
    const [, header, observation, total] = formatReconcileReport(toReconcileView(report()));
    const headers = header!.split(/ {2,}/);
    expect(headers).toHaveLength(REPORT_COLUMNS.length + 1);
    expect(headers).toContain('invalid');
    for (const row of [observation!, total!]) {
      expect(row.split(/ {2,}/)).toHaveLength(headers.length);
      // Right-aligned: each number ends where its header ends.
      expect(cellEnds(row).slice(1)).toEqual(cellEnds(header!).slice(1));
    }
    REPORT_COLUMNS.forEach((_column, index) => {
      expect(observation!.split(/ {2,}/)[index + 1]).toBe(String(1 + index * 111));
      expect(total!.split(/ {2,}/)[index + 1]).toBe(String(10_000 + index * 111));
    });
  });
});
