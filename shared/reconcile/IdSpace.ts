import { isFhirId } from '../fhir/ids.js';
import type { FhirResource } from '../fhir/types.js';
import { checkIdSelector } from '../replication/checkIdSelector.js';
import { ReplicationError } from '../replication/errors.js';
import { isReplicating, replicateId } from '../replication/replicateId.js';
import { replicateResource } from '../replication/replicateResource.js';
import type { ReplicationSettings } from '../replication/types.js';

/**
 * The ids a Subscription owns in HealthLake, under its Smile replication settings
 * (`replicate-id-prefix`, `-prefix-selector`, `-strip-id-prefix`), and the mapping of ids between the
 * source and HealthLake in both directions, exactly as the deliverer applies it.
 *
 * With an id prefix, the Subscription owns only HealthLake ids that carry the prefix and whose
 * un-prefixed `Type/id` the selector (if any) matches: every other id of a shared data store (another
 * connector's prefix, ids the selector leaves unprefixed, anyone else's) is out of scope, never an
 * orphan. Without a prefix, every id of the type is in scope, as the connector cannot tell owners apart.
 *
 * @example
 * const ids = new IdSpace({ idPrefix: 'CDR1-' });
 * ids.toHealthLake('Patient', '7') // 'CDR1-7'
 * ids.toSource('Patient', 'CDR1-7') // ['7']
 * ids.toSource('Patient', 'CDR2-7') // [] (out of scope)
 */
export class IdSpace {
  private readonly settings: ReplicationSettings | undefined;

  /** Throws `ReplicationError` for a selector the deliverer would refuse (it never ran it either). */
  public constructor(settings: ReplicationSettings | undefined) {
    this.settings = isReplicating(settings) ? settings : undefined;
    const selector = this.settings?.idPrefixSelector;
    const unsafe = selector === undefined ? undefined : checkIdSelector(selector);
    if (unsafe) throw new ReplicationError(`replicate-id-prefix-selector is refused: ${unsafe}`);
  }

  /** Whether ids are rewritten at all. */
  public get rewrites(): boolean {
    return this.settings !== undefined;
  }

  /**
   * The id a source resource has in HealthLake; undefined when it, or its replicated form, is not a
   * valid FHIR id (ids from either server go into `_id=` searches only once checked).
   */
  public toHealthLake(resourceType: string, id: string): string | undefined {
    if (!isFhirId(id)) return undefined;
    if (!this.settings) return id;
    try {
      const replicated = replicateId(resourceType, id, this.settings);
      return isFhirId(replicated) ? replicated : undefined;
    } catch {
      return undefined; // a selector the matcher refuses to run on this id: the deliverer fails it too
    }
  }

  /** The resource as the deliverer writes it (id and references rewritten); undefined when it cannot be. */
  public toHealthLakeResource(resource: FhirResource): FhirResource | undefined {
    if (!this.settings) return resource;
    try {
      return replicateResource(resource, this.settings);
    } catch (error) {
      if (error instanceof ReplicationError) return undefined;
      throw error;
    }
  }

  /**
   * The source ids the deliverer writes to `healthLakeId` (two at most, with a strip prefix: `X-7` and
   * `7` both become `CDR1-7`), the stripped form first; empty when the id is outside the id space (or
   * not a FHIR id at all).
   */
  public toSource(resourceType: string, healthLakeId: string): string[] {
    if (!isFhirId(healthLakeId)) return [];
    if (!this.settings) return [healthLakeId];
    const { idPrefix, stripIdPrefix } = this.settings;
    let base = healthLakeId;
    if (idPrefix) {
      if (!healthLakeId.startsWith(idPrefix)) return [];
      base = healthLakeId.slice(idPrefix.length);
    }
    const candidates = [...(stripIdPrefix ? [`${stripIdPrefix}${base}`] : []), base];
    return [...new Set(candidates)].filter(
      (candidate) => isFhirId(candidate) && this.toHealthLake(resourceType, candidate) === healthLakeId,
    );
  }

  /** Whether the Subscription owns `healthLakeId` (some source id maps to it). */
  public owns(resourceType: string, healthLakeId: string): boolean {
    return this.toSource(resourceType, healthLakeId).length > 0;
  }
}
