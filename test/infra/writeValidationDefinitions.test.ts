import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeValidationDefinitions } from '../../infra/bundling/writeValidationDefinitions.js';
import {
  computeRequiredCodesFromDefinitions,
  loadRequiredCodes,
  REQUIRED_CODES_FILE,
} from '../../shared/ingest/requiredBindings.js';
import {
  RESOURCE_DEFINITIONS_INDEX,
  resourceDefinitionFile,
} from '../../shared/ingest/resourceDefinitions.js';
import { VALIDATION_DEFINITION_FILES } from '../../shared/ingest/validationDefinitions.js';

describe('Function: writeValidationDefinitions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'validation-definitions-'));
  const empty = mkdtempSync(join(tmpdir(), 'validation-definitions-empty-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('writes the trimmed profiles and a required-codes table equal to what the run time computes', () => {
    const written = writeValidationDefinitions(dir);
    const files = written.map(({ file }) => file);
    expect(files[0]).toBe(VALIDATION_DEFINITION_FILES[0]);
    expect(files).toContain(RESOURCE_DEFINITIONS_INDEX);
    expect(files).toContain(resourceDefinitionFile('Patient'));
    expect(files).toContain(resourceDefinitionFile('DomainResource'));
    expect(files.at(-1)).toBe(REQUIRED_CODES_FILE);
    const computed = computeRequiredCodesFromDefinitions();
    const shipped = JSON.parse(readFileSync(join(dir, REQUIRED_CODES_FILE), 'utf8')) as unknown;
    expect(shipped).toEqual(computed);
    // Byte-identical too: the table is built in a deterministic (sorted) order.
    expect(readFileSync(join(dir, REQUIRED_CODES_FILE), 'utf8')).toBe(JSON.stringify(computed));
    // The run time reads the shipped file when present and computes the same table when absent.
    expect(loadRequiredCodes(dir)).toEqual(computed);
    expect(loadRequiredCodes(empty)).toEqual(computed);
    const bytes = written.find(({ file }) => file === REQUIRED_CODES_FILE)?.bytes ?? 0;
    expect(bytes).toBeGreaterThan(10_000);
    expect(bytes).toBeLessThan(200_000);
  });

  it('ships every resource definition once, trimmed, with an index of the types', () => {
    writeValidationDefinitions(dir);
    const index = JSON.parse(readFileSync(join(dir, RESOURCE_DEFINITIONS_INDEX), 'utf8')) as {
      types: string[];
      concrete: string[];
    };
    expect(index.types).toHaveLength(150);
    expect(index.concrete).toHaveLength(147);
    expect(index.concrete).not.toContain('DomainResource');
    expect(index.types).toEqual(expect.arrayContaining(['Resource', 'DomainResource', ...index.concrete]));
    const patient = JSON.parse(readFileSync(join(dir, resourceDefinitionFile('Patient')), 'utf8')) as {
      url: string;
      text?: unknown;
      snapshot: { element: unknown[] };
    };
    expect(patient.url).toBe('http://hl7.org/fhir/StructureDefinition/Patient');
    expect(patient.text).toBeUndefined();
    expect(patient.snapshot.element.length).toBeGreaterThan(20);
  });

  it('is what the run time loads when the bundle has it', () => {
    const table = { 'http://x/vs/a': { 'http://x/cs/a': ['a1'] } };
    const target = join(empty, REQUIRED_CODES_FILE);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, JSON.stringify(table));
    expect(loadRequiredCodes(empty)).toEqual(table);
  });
});
