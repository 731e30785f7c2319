export {
  compileCriteria,
  criteriaCompiler,
  MAX_SOURCE_EVALUATED_SUBSCRIPTIONS,
  MAX_SOURCE_QUERY_LENGTH,
  selectingCriteria,
} from './compileCriteria.js';
export { CriteriaIndex } from './CriteriaIndex.js';
export { CRITERIA_EXPRESSION, SOURCE_SETTING, SourceEvaluatedParameter } from './errors.js';
export { normalizeString } from './normalizeString.js';
export { parseDateRange, type DateRange } from './dateRange.js';
export { R4_SEARCH_PARAMETERS } from './r4SearchParameters.generated.js';
export {
  buildSearchParameterTable,
  type ElementPath,
  type SearchParamEntry,
  type SearchParameterTable,
} from './searchParameterTable.js';
export type { CompiledCriteria, CompileOptions } from './types.js';
