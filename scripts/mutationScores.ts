// Prints the mutation score per folder from Stryker's JSON report and fails below the threshold.
// Usage: tsx scripts/mutationScores.ts [report.json...] (default reports/mutation/mutation.json).
// Several reports (one `--mutate` run per folder, each copied aside) are merged into one table.
import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

const THRESHOLD = 80;
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

interface Tally {
  detected: number;
  survived: number;
  noCoverage: number;
  ignored: number;
}

export const tallyByFolder = (report: Report, root: string): Map<string, Tally> => {
  const byFolder = new Map<string, Tally>();
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const folder = dirname(relative(root, file) || file);
    const tally = byFolder.get(folder) ?? { detected: 0, survived: 0, noCoverage: 0, ignored: 0 };
    for (const { status } of mutants) {
      if (DETECTED.has(status)) tally.detected += 1;
      else if (status === 'Survived') tally.survived += 1;
      else if (status === 'NoCoverage') tally.noCoverage += 1;
      else if (!UNDETECTED.has(status)) tally.ignored += 1;
    }
    byFolder.set(folder, tally);
  }
  return byFolder;
};

/** Killed and timed-out mutants over all valid ones (compile errors and ignored ones excluded). */
export const score = ({ detected, survived, noCoverage }: Tally): number => {
  const valid = detected + survived + noCoverage;
  return valid === 0 ? 100 : (100 * detected) / valid;
};

const main = (): void => {
  const paths = process.argv.length > 2 ? process.argv.slice(2) : ['reports/mutation/mutation.json'];
  const report: Report = { files: {} };
  for (const path of paths)
    Object.assign(report.files, (JSON.parse(readFileSync(path, 'utf8')) as Report).files);
  const rows = [...tallyByFolder(report, process.cwd())].sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(6, ...rows.map(([folder]) => folder.length));
  console.log(`\n${'folder'.padEnd(width)}  score  killed  survived  no-cov  other`);
  let failing = 0;
  for (const [folder, tally] of rows) {
    const value = score(tally);
    if (value < THRESHOLD) failing += 1;
    console.log(
      `${folder.padEnd(width)}  ${value.toFixed(1).padStart(5)}  ${String(tally.detected).padStart(6)}  ` +
        `${String(tally.survived).padStart(8)}  ${String(tally.noCoverage).padStart(6)}  ${String(tally.ignored).padStart(5)}` +
        (value < THRESHOLD ? `  < ${THRESHOLD}%` : ''),
    );
  }
  if (failing > 0) {
    console.log(`\n${failing} folder(s) below ${THRESHOLD}%`);
    process.exitCode = 1;
  }
};

main();
