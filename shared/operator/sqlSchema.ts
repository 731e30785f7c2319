import { stringify } from 'yaml';
import { checkSchema } from '../sqlTarget/checkSchema.js';
import { compileMapping } from '../sqlTarget/compileMapping.js';
import { DEFAULT_MAPPING } from '../sqlTarget/defaultMapping.js';
import { generateDdl, type DdlOptions } from '../sqlTarget/generateDdl.js';
import { loadMappingFile } from '../sqlTarget/loadMappingFile.js';
import type { CompiledMapping, SqlQueryable } from '../sqlTarget/types.js';

export interface SqlMappingChoice {
  /** A mapping file (`.json`, `.yaml`, `.yml`); the default transformers when absent. */
  readonly file?: string;
  /** Overrides the mapping's PostgreSQL schema. */
  readonly schema?: string;
}

/**
 * The mapping an operator command works with: a file, or the default transformers, in the schema asked
 * for. Throws a MappingError listing every problem.
 */
export const loadSqlMapping = async (choice: SqlMappingChoice = {}): Promise<CompiledMapping> => {
  const schema = choice.schema === undefined ? {} : { schema: choice.schema };
  if (choice.file !== undefined) return loadMappingFile(choice.file, schema);
  return compileMapping({ ...DEFAULT_MAPPING, ...schema }, 'the default SQL mapping');
};

/** The DDL of a mapping as one script (`hlc sql schema`). */
export const sqlSchemaScript = (mapping: CompiledMapping, options: DdlOptions = {}): string =>
  `${generateDdl(mapping, options).join(';\n\n')};\n`;

/**
 * Runs a mapping's DDL (each statement is idempotent), then checks the result: returns what is still
 * missing or different (empty when the schema fits), e.g. a column an existing table lacks.
 *
 * @example
 * const problems = await applySqlSchema(client, mapping, { foreignKeys: true });
 */
export const applySqlSchema = async (
  db: SqlQueryable,
  mapping: CompiledMapping,
  options: DdlOptions = {},
): Promise<string[]> => {
  for (const statement of generateDdl(mapping, options)) await db.query(statement);
  return checkSchema(db, mapping);
};

/** The default transformers as YAML, a start for a mapping of one's own (`hlc sql mapping`). */
export const defaultMappingYaml = (): string => stringify(DEFAULT_MAPPING, { lineWidth: 0 });
