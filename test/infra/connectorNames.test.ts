import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { describe, expect, it } from 'vitest';
import { connectorNames } from '../../infra/config/connectorNames.js';
import { isFhirId } from '../../shared/fhir/ids.js';
import { configProblemsOf, exampleConfigInput } from './connectorAppFixture.js';

const readme = readFileSync(resolve(import.meta.dirname, '../..', 'README.md'), 'utf8');

/** The rows of the README's naming table: [name, pattern, example]. */
const namingTable = (): string[][] => {
  const start = readme.indexOf('| name ');
  const rows = readme.slice(start).split('\n');
  const table = rows.slice(
    2,
    rows.findIndex((row) => !row.startsWith('|')),
  );
  return table.map((row) =>
    row
      .split(/ \| /)
      .map((cell) => cell.replace(/^\|\s*|\s*\|$/g, '').trim())
      .map((cell) => /`([^`]+)`$/.exec(cell)?.[1] ?? cell),
  );
};

/** What each service accepts (IAM, CloudFormation, CloudWatch, STS, FHIR). */
const VALID: Record<keyof ReturnType<typeof connectorNames>, (name: string) => boolean> = {
  stack: (name) => /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(name),
  customerAccessStack: (name) => /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(name),
  restApi: (name) => name.length <= 1024 && `aws-waf-logs-${name}-${'0'.repeat(36)}`.length <= 512,
  dashboard: (name) => /^[A-Za-z0-9_-]{1,255}$/.test(name),
  delivererRole: (name) => /^[\w+=,.@-]{1,64}$/.test(name),
  reconcileRole: (name) => /^[\w+=,.@-]{1,64}$/.test(name),
  autoSubscription: isFhirId,
  stsSession: (name) => /^[\w+=,.@-]{2,64}$/.test(name),
  metricsDimension: (name) => name.length >= 1 && name.length <= 1024,
};

describe('Names derived from the connector id', () => {
  it('are the ones the README table lists, pattern and example', () => {
    const names = connectorNames({ connectorId: 'example_connector', region: 'us-east-1' });
    const rows = namingTable();
    expect(rows).toHaveLength(Object.keys(names).length);
    const fill = (pattern: string) =>
      pattern
        .replaceAll('{id-}', 'example-connector')
        .replaceAll('{id}', 'example_connector')
        .replaceAll('{region}', 'us-east-1');
    for (const [, pattern, example] of rows) expect(fill(pattern as string)).toBe(example);
    expect(rows.map(([, , example]) => (example as string).replace(/^Subscription\//, '')).sort()).toEqual(
      Object.values(names).sort(),
    );
  });

  it('are valid for their service for every id the configuration accepts, in every region', () => {
    const longest = 'a_b-'.repeat(8); // 32 characters
    const ids = ['a', 'A-', longest, `Z${'9'.repeat(31)}`, `x${'_'.repeat(31)}`];
    const regions = RegionInfo.regions.map((region) => region.name).filter((name) => /-\d$/.test(name));
    expect(regions.length).toBeGreaterThan(20);
    for (const connectorId of ids) {
      for (const region of regions) {
        expect(configProblemsOf({ ...exampleConfigInput(), connectorId, region })).not.toContainEqual(
          expect.stringMatching(/^connectorId/),
        );
        const names = connectorNames({ connectorId, region });
        for (const [kind, name] of Object.entries(names)) {
          expect({ kind, name, valid: VALID[kind as keyof typeof VALID](name) }).toEqual({
            kind,
            name,
            valid: true,
          });
        }
      }
    }
    for (const refused of ['1abc', `a${'b'.repeat(32)}`, 'a.b', 'a b', '']) {
      expect(configProblemsOf({ ...exampleConfigInput(), connectorId: refused })).toContainEqual(
        expect.stringMatching(/^connectorId: /),
      );
    }
  });
});
