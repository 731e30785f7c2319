import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  applySqlSchema,
  defaultMappingYaml,
  loadSqlMapping,
  sqlSchemaScript,
} from '../../../shared/operator/sqlSchema.js';
import { DEFAULT_SQL_SCHEMA } from '../../../shared/sqlTarget/constants.js';
import { DEFAULT_MAPPING } from '../../../shared/sqlTarget/defaultMapping.js';
import { generateDdl } from '../../../shared/sqlTarget/generateDdl.js';
import type { SqlQueryable } from '../../../shared/sqlTarget/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlc-sql-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SQL schema operations', () => {
  it('loads the default transformers, in the default schema or the one asked for', async () => {
    const mapping = await loadSqlMapping();
    expect(mapping.schema).toBe(DEFAULT_SQL_SCHEMA);
    expect((await loadSqlMapping({ schema: 'other' })).schema).toBe('other');
  });

  it('loads a mapping file, with the schema override', async () => {
    const file = join(dir, 'mine.yaml');
    await writeFile(file, defaultMappingYaml());
    expect((await loadSqlMapping({ file })).schema).toBe((await loadSqlMapping()).schema);
    expect((await loadSqlMapping({ file, schema: 'mine' })).schema).toBe('mine');
  });

  it('prints the default transformers as YAML that reads back the same', () => {
    expect(parse(defaultMappingYaml())).toEqual(JSON.parse(JSON.stringify(DEFAULT_MAPPING)));
  });

  it('prints the DDL as one script of terminated statements, with foreign keys when asked', async () => {
    const mapping = await loadSqlMapping();
    const script = sqlSchemaScript(mapping);
    expect(script).toBe(`${generateDdl(mapping).join(';\n\n')};\n`);
    expect(script).not.toContain('REFERENCES');
    expect(sqlSchemaScript(mapping, { foreignKeys: true })).toContain('ON DELETE CASCADE');
  });

  it('runs every DDL statement in order, then reports what the database still lacks', async () => {
    const mapping = await loadSqlMapping({ schema: 'hl' });
    const statements: string[] = [];
    const db: SqlQueryable = {
      query: async <Row extends Record<string, unknown>>(text: string) => {
        statements.push(text);
        return { rows: [] as Row[], rowCount: 0 };
      },
    };
    const problems = await applySqlSchema(db, mapping, { foreignKeys: true });
    const ddl = generateDdl(mapping, { foreignKeys: true });
    expect(statements.slice(0, ddl.length)).toEqual(ddl);
    expect(statements.length).toBeGreaterThan(ddl.length);
    // The stand-in database holds no columns: every table is reported missing.
    expect(problems.length).toBeGreaterThan(0);
  });
});
