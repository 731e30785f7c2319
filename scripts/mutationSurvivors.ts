// Lists the mutants the last Stryker run did not detect, as file:line, mutator and replacement,
// so the gap a new test has to close is one line away.
// Usage: tsx scripts/mutationSurvivors.ts [path prefix…] (reads reports/mutation/mutation.json)
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}

const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const prefixes = process.argv.slice(2);
const report = JSON.parse(readFileSync('reports/mutation/mutation.json', 'utf8')) as {
  files: Record<string, { mutants: Mutant[] }>;
};

for (const [absolute, { mutants }] of Object.entries(report.files)) {
  const file = relative(process.cwd(), absolute) || absolute;
  if (prefixes.length > 0 && !prefixes.some((prefix) => file.startsWith(prefix))) continue;
  const undetected = mutants
    .filter(({ status }) => UNDETECTED.has(status))
    .sort((a, b) => a.location.start.line - b.location.start.line);
  for (const { location, mutatorName, replacement, status } of undetected) {
    const shown = (replacement ?? '').replace(/\s+/g, ' ').slice(0, 100);
    console.log(
      `${file}:${location.start.line}:${location.start.column}  ${status}  ${mutatorName}  ${shown}`,
    );
  }
}
