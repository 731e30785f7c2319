import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../../shared/sqlTarget/compileMapping.js';
import { generateDdl } from '../../../shared/sqlTarget/generateDdl.js';

const mapping = compileMapping({
  schema: 'analytics',
  transformers: [
    {
      resourceType: 'Observation',
      table: 'observation',
      columns: [
        { name: 'status', path: 'status', type: 'text' },
        { name: 'value', path: 'value.ofType(Quantity).value', type: 'numeric' },
        { name: 'at', path: 'effective.ofType(dateTime)', type: 'timestamptz' },
      ],
      children: [
        {
          table: 'observation_component',
          forEach: 'component',
          columns: [{ name: 'code', path: 'code.coding.first().code', type: 'text' }],
          children: [{ table: 'observation_component_coding', forEach: 'code.coding' }],
        },
      ],
    },
  ],
});

describe('Function: generateDdl', () => {
  it('creates the schema, the tombstone table, top-level and child tables with keys and indexes', () => {
    expect(generateDdl(mapping)).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "analytics"',
      'CREATE TABLE IF NOT EXISTS "analytics"."hlc_tombstone" (\n' +
        '  "resource_type" text NOT NULL,\n  "id" text NOT NULL,\n  "version" bigint NOT NULL,\n' +
        '  "deleted_at" timestamp with time zone NOT NULL,\n  PRIMARY KEY ("resource_type", "id")\n)',
      'CREATE TABLE IF NOT EXISTS "analytics"."observation" (\n' +
        '  "id" text NOT NULL,\n  "version" bigint NOT NULL,\n  "status" text,\n  "value" numeric,\n' +
        '  "at" timestamp with time zone,\n  PRIMARY KEY ("id")\n)',
      'CREATE TABLE IF NOT EXISTS "analytics"."observation_component" (\n' +
        '  "id" uuid NOT NULL,\n  "parent_reference" text NOT NULL,\n  "source_resource_id" text NOT NULL,\n' +
        '  "code" text,\n  PRIMARY KEY ("id")\n)',
      'CREATE INDEX IF NOT EXISTS "observation_component_source_resource_id_idx" ON "analytics"."observation_component" ("source_resource_id")',
      'CREATE TABLE IF NOT EXISTS "analytics"."observation_component_coding" (\n' +
        '  "id" uuid NOT NULL,\n  "parent_reference" uuid NOT NULL,\n  "source_resource_id" text NOT NULL,\n' +
        '  PRIMARY KEY ("id")\n)',
      'CREATE INDEX IF NOT EXISTS "observation_component_coding_source_resource_id_idx" ON "analytics"."observation_component_coding" ("source_resource_id")',
    ]);
  });

  it('adds foreign keys from parent_reference to the parent row, indexed, when asked', () => {
    const ddl = generateDdl(mapping, { foreignKeys: true }).join(';\n');
    expect(ddl).toContain(
      '"parent_reference" text NOT NULL REFERENCES "analytics"."observation" ("id") ON DELETE CASCADE',
    );
    expect(ddl).toContain(
      '"parent_reference" uuid NOT NULL REFERENCES "analytics"."observation_component" ("id") ON DELETE CASCADE',
    );
    expect(ddl).toContain(
      'CREATE INDEX IF NOT EXISTS "observation_component_parent_reference_idx" ON "analytics"."observation_component" ("parent_reference")',
    );
  });

  it('keeps index names within 63 characters and distinct for long table names', () => {
    const long = (suffix: string) => `${'t'.repeat(60)}_${suffix}`;
    const ddl = generateDdl(
      compileMapping({
        transformers: [
          {
            resourceType: 'Patient',
            table: 'patient',
            children: [
              { table: long('a'), forEach: 'name' },
              { table: long('b'), forEach: 'identifier' },
            ],
          },
        ],
      }),
    );
    const names = ddl.flatMap(
      (statement) => /^CREATE INDEX IF NOT EXISTS "([^"]+)"/.exec(statement)?.slice(1) ?? [],
    );
    expect(names).toHaveLength(2);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(63);
    expect(new Set(names).size).toBe(2);
  });
});
