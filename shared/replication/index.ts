export { checkIdSelector, compileIdSelector, MAX_SELECTOR_LENGTH } from './checkIdSelector.js';
export { ReplicationError } from './errors.js';
export { isReplicating, replicateId } from './replicateId.js';
export { replicatedResourceId, replicateReference, replicateResource } from './replicateResource.js';
export { replicationTargetKey } from './replicationTargetKey.js';
export type { ReplicationSettings } from './types.js';
