import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../bin/runCli.js';
import type { FhirResource } from '../../shared/fhir/types.js';
import { applyChanges } from '../../shared/sqlTarget/applyChanges.js';
import { compileMapping } from '../../shared/sqlTarget/compileMapping.js';
import { DEFAULT_MAPPING } from '../../shared/sqlTarget/defaultMapping.js';
import { parseMappingText } from '../../shared/sqlTarget/parseMappingText.js';
import { DATABASE_KINDS, startTestDatabase, type TestDatabase } from '../helpers/sqlDatabases.js';
import { hasSynthea, loadSyntheaResources } from '../helpers/synthea.js';
import { observation } from '../helpers/sqlMappings.js';

const capture = (env: NodeJS.ProcessEnv = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), isTTY: false, env };
  return { io, out, err };
};

const hlc = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const { io, out, err } = capture(env);
  const code = await runCli(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
};

describe('CLI: hlc sql', () => {
  it('prints the DDL of the default transformers, in the schema asked for', async () => {
    const { code, out } = await hlc(['sql', 'schema', '--schema', 'analytics', '--foreign-keys']);
    expect(code).toBe(0);
    expect(out).toContain('CREATE SCHEMA IF NOT EXISTS "analytics";');
    expect(out).toContain('CREATE TABLE IF NOT EXISTS "analytics"."observation_component" (');
    expect(out).toContain('REFERENCES "analytics"."observation" ("id") ON DELETE CASCADE');
  });

  it('prints the default transformers as YAML that loads back as the same mapping', async () => {
    const { code, out } = await hlc(['sql', 'mapping']);
    expect(code).toBe(0);
    expect(parseMappingText(out, 'printed.yaml')).toEqual(DEFAULT_MAPPING);
  });

  it('refuses an invalid schema name and --apply without a database, as usage errors', async () => {
    const invalid = await hlc(['sql', 'schema', '--schema', 'Bad Name']);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toContain('schema: is not a valid SQL name');
    const noUrl = await hlc(['sql', 'schema', '--apply']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.err).toContain('sql schema needs --sql-url postgres://... (or HLC_SQL_URL)');
    expect((await hlc(['sql'])).code).toBe(2);
  });
});

describe.each(DATABASE_KINDS)('CLI: hlc sql schema --apply (%s)', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await startTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.stop();
  });

  it('creates a schema the default transformers fill without error, and check finds it complete', async () => {
    const schema = database.newSchema();
    const applied = await hlc(['sql', 'schema', '--apply', '--schema', schema], {
      HLC_SQL_URL: database.url,
    });
    expect(applied).toMatchObject({
      code: 0,
      out: `schema "${schema}" has every table and column the mapping writes`,
    });
    const again = await hlc(['sql', 'schema', '--apply', '--schema', schema, '--sql-url', database.url]);
    expect(again.code).toBe(0);

    const corpus: readonly FhirResource[] = hasSynthea()
      ? loadSyntheaResources({ asStored: true })
      : [
          observation('o1'),
          { resourceType: 'Patient', id: 'p1', gender: 'female', name: [{ family: 'Doe' }] },
        ];
    const results = await applyChanges(
      database.client,
      compileMapping({ ...DEFAULT_MAPPING, schema }),
      corpus.map((resource) => ({
        operation: 'upsert',
        resourceType: resource.resourceType as string,
        id: resource.id as string,
        version: 1,
        resource,
      })),
    );
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    expect(results.filter((r) => r.outcome === 'applied').length).toBeGreaterThanOrEqual(2);
  }, 300_000);

  it('check lists what an existing schema lacks, and exits 1', async () => {
    const schema = database.newSchema();
    await hlc(['sql', 'schema', '--apply', '--schema', schema, '--sql-url', database.url]);
    await database.client.query(`ALTER TABLE "${schema}".patient DROP COLUMN gender`);
    const checked = await hlc(['sql', 'check', '--schema', schema, '--sql-url', database.url]);
    expect(checked).toMatchObject({ code: 1, err: 'table "patient" has no column "gender" (text)' });
  });
});
