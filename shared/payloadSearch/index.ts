export {
  DEFAULT_BUNDLE_REQUESTS_PER_SECOND,
  HEALTHLAKE_MAX_BUNDLE_ENTRIES,
  MATCHED_RESOURCE_ID,
} from './constants.js';
export { checkPayloadSearchCriteria, type PayloadSearchCriteriaCheck } from './checkPayloadSearchCriteria.js';
export { PayloadSearchError } from './errors.js';
export { runPayloadSearch, type PayloadSearchOptions } from './runPayloadSearch.js';
export { substituteMatchedResource } from './substituteMatchedResource.js';
export { transactionBundle } from './transactionBundle.js';
