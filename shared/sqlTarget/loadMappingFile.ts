import { readFile, stat } from 'node:fs/promises';
import { compileMapping } from './compileMapping.js';
import { SQL_TARGET_LIMITS } from './constants.js';
import { MappingError } from './errors.js';
import { parseMappingText } from './parseMappingText.js';
import type { CompiledMapping } from './types.js';

/**
 * Reads, parses and compiles a mapping file (`.json`, `.yaml` or `.yml`), with `schema` instead of the
 * file's when given; throws a MappingError that lists every problem.
 *
 * @example
 * const mapping = await loadMappingFile('sql-mapping.yaml');
 */
export const loadMappingFile = async (
  path: string,
  overrides: { readonly schema?: string } = {},
): Promise<CompiledMapping> => {
  if (!/\.(json|ya?ml)$/i.test(path))
    throw new MappingError(path, ['(file): must end in .json, .yaml or .yml']);
  const size = (await stat(path)).size;
  if (size > SQL_TARGET_LIMITS.mappingFileBytes)
    throw new MappingError(path, [`(file): is larger than ${SQL_TARGET_LIMITS.mappingFileBytes} bytes`]);
  const parsed = parseMappingText(await readFile(path, 'utf8'), path);
  const value =
    overrides.schema !== undefined && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? { ...parsed, schema: overrides.schema }
      : parsed;
  return compileMapping(value, path);
};
