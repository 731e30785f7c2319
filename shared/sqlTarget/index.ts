export { applyChanges, type ApplyOptions } from './applyChanges.js';
export { buildRows } from './buildRows.js';
export { assertSchema, checkSchema } from './checkSchema.js';
export { classifySqlError, isTerminalSqlState } from './classifySqlError.js';
export { compileFhirPath, fhirPathScope, type CompiledFhirPath } from './compileFhirPath.js';
export { compileMapping } from './compileMapping.js';
export {
  DEFAULT_SQL_SCHEMA,
  SQL_IDENTIFIER_PATTERN,
  SQL_TARGET_LIMITS,
  SQL_TYPES,
  TOMBSTONE_TABLE,
  type SqlType,
} from './constants.js';
export { DEFAULT_MAPPING, defaultMapping } from './defaultMapping.js';
export {
  FhirPathEvaluationError,
  MappingError,
  SchemaMismatchError,
  SqlTargetError,
  SqlWriteError,
  ValueDoesNotFitError,
} from './errors.js';
export { generateDdl, type DdlOptions } from './generateDdl.js';
export { quoteIdentifier } from './identifiers.js';
export { loadMappingFile } from './loadMappingFile.js';
export { parseMappingText } from './parseMappingText.js';
export { PgSqlClient, type PgSqlClientOptions } from './PgSqlClient.js';
export { toSqlValue } from './toSqlValue.js';
export type {
  ApplyOutcome,
  ApplyResult,
  CompiledMapping,
  MappingDefinition,
  SqlChange,
  SqlClient,
  SqlQueryable,
  TableRowCounts,
} from './types.js';
