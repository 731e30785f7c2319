import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMapping } from '../../../shared/sqlTarget/compileMapping.js';
import { DEFAULT_MAPPING, defaultMapping } from '../../../shared/sqlTarget/defaultMapping.js';
import { MappingError } from '../../../shared/sqlTarget/errors.js';
import { loadMappingFile } from '../../../shared/sqlTarget/loadMappingFile.js';
import { parseMappingText } from '../../../shared/sqlTarget/parseMappingText.js';

const problemsOf = (action: () => unknown): readonly string[] => {
  try {
    action();
  } catch (error) {
    if (error instanceof MappingError) return error.problems;
    throw error;
  }
  throw new Error('expected a MappingError');
};

const VALID_YAML = `
schema: analytics
transformers:
  - resourceType: Patient
    table: patient
    columns:
      - { name: gender, path: gender, type: text }
      - { name: birth_date, path: birthDate, type: date }
    children:
      - table: patient_name
        forEach: name
        columns:
          - { name: family, path: family, type: text }
        children:
          - table: patient_name_given
            forEach: given
            columns:
              - { name: value, path: "$this", type: text }
`;

describe('Function: compileMapping', () => {
  it('compiles a YAML mapping: schema, top-level table, child tables with their parents', () => {
    const mapping = compileMapping(parseMappingText(VALID_YAML, 'mapping.yaml'), 'mapping.yaml');
    expect(mapping.schema).toBe('analytics');
    const patient = mapping.transformers.get('Patient');
    expect(patient?.name).toBe('patient');
    expect(patient?.columns.map((c) => [c.name, c.type, c.path.expression])).toEqual([
      ['gender', 'text', 'gender'],
      ['birth_date', 'date', 'birthDate'],
    ]);
    expect(patient?.allChildren.map((c) => [c.name, c.parent.name, c.parentIsTopLevel])).toEqual([
      ['patient_name', 'patient', true],
      ['patient_name_given', 'patient_name', false],
    ]);
  });

  it('uses the public schema when the mapping names none', () => {
    expect(compileMapping({ transformers: [{ resourceType: 'Patient', table: 'p' }] }).schema).toBe('public');
  });

  it('reports every problem at once, one message per problem, each with its path', () => {
    const problems = problemsOf(() =>
      compileMapping(
        {
          schema: 'Bad Schema',
          extra: true,
          transformers: [
            {
              resourceType: 'patient',
              table: 'patient',
              columns: [
                { name: 'id', path: 'id', type: 'text' },
                { name: 'gender', path: 'gender', type: 'varchar' },
                { name: 'gender', path: 'gender', type: 'text' },
                { name: 'Birth-Date', path: 'birthDate', type: 'date' },
                { name: 'note', path: 'name.where(', type: 'text' },
                { name: 'traced', path: "name.trace('x')", type: 'text' },
                { name: 'secret', path: '%env', type: 'text' },
                { name: 'colour', path: 'gender', type: 'text', typo: 1 },
                'gender',
              ],
            },
            {
              resourceType: 'Observation',
              table: 'patient',
              children: [
                {
                  table: 'obs_component',
                  columns: [{ name: 'parent_reference', path: 'code', type: 'text' }],
                },
                { table: 'hlc_tombstone', forEach: 'component' },
              ],
            },
            { resourceType: 'Observation', table: 'observation_again' },
          ],
        },
        'bad.json',
      ),
    );
    expect(problems).toEqual([
      '(root).extra: unknown property (allowed: schema, transformers)',
      'schema: is not a valid SQL name (lower case letters, digits and _, starting with a letter or _, at most 63 characters)',
      'transformers[0] (patient).resourceType: is not a FHIR resource type',
      'transformers[0] (patient).columns[0] (id).name: is a column the connector fills itself (id, version)',
      'transformers[0] (patient).columns[1] (gender).type: must be one of text, integer, numeric, boolean, date, timestamptz, jsonb',
      'transformers[0] (patient).columns[2] (gender).name: duplicates the column at transformers[0] (patient).columns[1] (gender)',
      'transformers[0] (patient).columns[3] (Birth-Date).name: is not a valid SQL name (lower case letters, digits and _, starting with a letter or _, at most 63 characters)',
      expect.stringMatching(
        /^transformers\[0\] \(patient\)\.columns\[4\] \(note\)\.path: FHIRPath expression is not valid FHIRPath/,
      ),
      'transformers[0] (patient).columns[5] (traced).path: FHIRPath expression calls trace(), which a mapping may not use',
      'transformers[0] (patient).columns[6] (secret).path: FHIRPath expression uses %env; the variables available are %resource, %rootResource, %ucum, %sct, %loinc',
      'transformers[0] (patient).columns[7] (colour).typo: unknown property (allowed: name, path, type)',
      'transformers[0] (patient).columns[8]: must be an object with name, path and type',
      'transformers[1] (Observation).table: is already used at transformers[0] (patient).table (each table holds one resource type, one level)',
      'transformers[1] (Observation).children[0] (obs_component).forEach: is required (a FHIRPath expression)',
      'transformers[1] (Observation).children[0] (obs_component).columns[0] (parent_reference).name: is a column the connector fills itself (id, parent_reference, source_resource_id)',
      "transformers[1] (Observation).children[1] (hlc_tombstone).table: is reserved (hlc_tombstone is the connector's own table; pg_ is PostgreSQL's)",
      'transformers[2] (Observation).resourceType: is already mapped at transformers[1] (Observation) (one transformer per resource type)',
    ]);
  });

  it('refuses regular expressions and resolve(): a pattern over resource content can backtrack', () => {
    const problems = problemsOf(() =>
      compileMapping({
        transformers: [
          {
            resourceType: 'Patient',
            table: 'patient',
            columns: [
              { name: 'a', path: "name.family.matches('(a+)+$')", type: 'boolean' },
              { name: 'b', path: "name.family.replaceMatches('x', 'y')", type: 'text' },
              { name: 'c', path: 'managingOrganization.resolve().name', type: 'text' },
              { name: 'd', path: 'name.where(family.bogus()).exists()', type: 'boolean' },
            ],
          },
        ],
      }),
    );
    expect(problems).toEqual([
      'transformers[0] (Patient).columns[0] (a).path: FHIRPath expression calls matches(), which a mapping may not use',
      'transformers[0] (Patient).columns[1] (b).path: FHIRPath expression calls replaceMatches(), which a mapping may not use',
      'transformers[0] (Patient).columns[2] (c).path: FHIRPath expression calls resolve(), which a mapping may not use',
      'transformers[0] (Patient).columns[3] (d).path: FHIRPath expression calls bogus(), which a mapping may not use',
    ]);
  });

  it('limits how deep child tables nest and how long an expression is', () => {
    const nested = (depth: number): Record<string, unknown> => ({
      table: `level_${depth}`,
      forEach: 'extension',
      ...(depth < 4 ? { children: [nested(depth + 1)] } : {}),
    });
    const problems = problemsOf(() =>
      compileMapping({
        transformers: [
          {
            resourceType: 'Patient',
            table: 'patient',
            columns: [{ name: 'long', path: `gender${' '.repeat(2000)}`, type: 'text' }],
            children: [nested(1)],
          },
        ],
      }),
    );
    expect(problems).toEqual([
      'transformers[0] (Patient).columns[0] (long).path: FHIRPath expression is longer than 2000 characters',
      'transformers[0] (Patient).children[0] (level_1).children[0] (level_2).children[0] (level_3).children: child tables nest at most 3 deep',
    ]);
  });

  it('reports a missing or empty transformers list, and a root that is not an object', () => {
    expect(problemsOf(() => compileMapping({}))).toEqual(['transformers: is required (a list)']);
    expect(problemsOf(() => compileMapping({ transformers: [] }))).toEqual(['transformers: is empty']);
    expect(problemsOf(() => compileMapping([]))).toEqual([
      '(root): must be an object with a transformers list',
    ]);
  });

  it('compiles the default transformers for the common clinical types', () => {
    const mapping = defaultMapping();
    expect([...mapping.transformers.keys()]).toEqual([
      'Patient',
      'Encounter',
      'Observation',
      'Condition',
      'Procedure',
      'MedicationRequest',
      'AllergyIntolerance',
      'Immunization',
    ]);
    expect(mapping.transformers.get('Observation')?.allChildren.map((c) => c.name)).toEqual([
      'observation_coding',
      'observation_category',
      'observation_component',
    ]);
    expect(DEFAULT_MAPPING.schema).toBeUndefined();
  });
});

describe('Function: parseMappingText', () => {
  it('reads JSON with the same parser, refusing duplicate keys that JSON.parse would collapse', () => {
    expect(parseMappingText('{"transformers": []}', 'm.json')).toEqual({ transformers: [] });
    const problems = problemsOf(() => parseMappingText('{"schema": "a", "schema": "b"}', 'm.json'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 1, column \d+: .*unique/i);
  });

  it('lists every YAML syntax error with its line', () => {
    const problems = problemsOf(() => parseMappingText('transformers:\n  - table: [a\n  - b: {', 'm.yaml'));
    expect(problems.length).toBeGreaterThanOrEqual(1);
    for (const problem of problems) expect(problem).toMatch(/^line \d+, column \d+: /);
  });

  it('refuses alias expansion beyond a small cap (billion laughs)', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 8; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      lines.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    expect(() => parseMappingText(lines.join('\n'), 'bomb.yaml')).toThrow(MappingError);
  });
});

describe('Function: loadMappingFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlc-mapping-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a YAML file and a JSON file', async () => {
    await writeFile(join(dir, 'm.yaml'), VALID_YAML);
    await writeFile(join(dir, 'm.json'), JSON.stringify(DEFAULT_MAPPING));
    expect((await loadMappingFile(join(dir, 'm.yaml'))).transformers.has('Patient')).toBe(true);
    expect((await loadMappingFile(join(dir, 'm.json'))).transformers.size).toBe(8);
  });

  it('names the file in its error and refuses other extensions and oversized files', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'transformers: {}');
    await expect(loadMappingFile(join(dir, 'bad.yaml'))).rejects.toThrow(
      `${join(dir, 'bad.yaml')} is not a valid SQL mapping:\n  - transformers: must be a list`,
    );
    await expect(loadMappingFile(join(dir, 'm.txt'))).rejects.toThrow('must end in .json, .yaml or .yml');
    await writeFile(join(dir, 'big.json'), ' '.repeat(1_048_577));
    await expect(loadMappingFile(join(dir, 'big.json'))).rejects.toThrow('is larger than 1048576 bytes');
  });
});
