import type { CompiledCriteria } from './types.js';
import type { FhirResource } from '../fhir/types.js';

/**
 * Compiled criteria of many subscriptions, bucketed by resource type (plus a `'*'` bucket) so a
 * resource is only tested against the subscriptions that could match its type.
 *
 * @example
 * const index = new CriteriaIndex();
 * index.set('sub-1', compileCriteria('Observation?status=final'));
 * index.match(observation); // ['sub-1']
 */
export class CriteriaIndex {
  private readonly byType = new Map<string, Map<string, CompiledCriteria>>();
  private readonly byId = new Map<string, CompiledCriteria>();

  /** Adds or replaces the criteria of a subscription. */
  public set(subscriptionId: string, criteria: CompiledCriteria): void {
    this.delete(subscriptionId);
    this.byId.set(subscriptionId, criteria);
    // '*' iterates as its one bucket '*'.
    for (const type of criteria.resourceTypes) {
      let bucket = this.byType.get(type);
      if (!bucket) {
        bucket = new Map();
        this.byType.set(type, bucket);
      }
      bucket.set(subscriptionId, criteria);
    }
  }

  /** Removes a subscription; true when it was present. */
  public delete(subscriptionId: string): boolean {
    const existing = this.byId.get(subscriptionId);
    if (!existing) return false;
    this.byId.delete(subscriptionId);
    for (const type of existing.resourceTypes) {
      const bucket = this.byType.get(type)!;
      bucket.delete(subscriptionId);
      if (bucket.size === 0) this.byType.delete(type);
    }
    return true;
  }

  public get size(): number {
    return this.byId.size;
  }

  /** Buckets held: the types (and `'*'`) some subscription can match; a bucket goes with its last one. */
  public get bucketCount(): number {
    return this.byType.size;
  }

  public get(subscriptionId: string): CompiledCriteria | undefined {
    return this.byId.get(subscriptionId);
  }

  /** Ids of the subscriptions whose criteria match the resource. */
  public match(resource: FhirResource): string[] {
    const ids: string[] = [];
    const typed = this.byType.get(resource.resourceType);
    if (typed) for (const [id, criteria] of typed) if (criteria.matches(resource)) ids.push(id);
    const any = this.byType.get('*');
    if (any) for (const [id, criteria] of any) if (criteria.matches(resource)) ids.push(id);
    return ids;
  }
}
