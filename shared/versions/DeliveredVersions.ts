import { compareVersions, type ResourceVersion } from './compareVersions.js';

/** The version last delivered to one endpoint, and whether it was a delete. */
export interface DeliveredVersion extends ResourceVersion {
  readonly deleted: boolean;
}

/** One resource at one HealthLake endpoint. */
export interface DeliveryTarget {
  readonly resourceKey: string;
  readonly endpoint: string;
}

/** Map key of a target in `getMany` results. */
export const targetKey = (target: DeliveryTarget): string => `${target.endpoint} ${target.resourceKey}`;

/**
 * Per endpoint, the last version delivered of each resource. The deliverer reads it before sending, so a
 * retried older version arriving after a newer one was delivered is skipped, and writes it after
 * HealthLake acknowledged, never moving it backwards.
 */
export interface DeliveredVersions {
  /** The delivered versions of the targets, keyed by `targetKey` (absent when never delivered). */
  getMany(targets: readonly DeliveryTarget[]): Promise<Map<string, DeliveredVersion>>;
  /**
   * Records `version` as delivered unless a newer one is recorded already (`superseded`).
   * `previous` is what the caller read before (an optimisation for a conditional write).
   */
  record(
    target: DeliveryTarget,
    version: DeliveredVersion,
    previous?: DeliveredVersion,
  ): Promise<'recorded' | 'superseded'>;
}

/** Forgets what was delivered to a target, so a lower version is delivered again (reconcile repair). */
export interface DeliveredVersionsEraser {
  forget(target: DeliveryTarget): Promise<unknown>;
}

/** DeliveredVersions in process memory: tests, benchmarks, local runs without DynamoDB. */
export class InMemoryDeliveredVersions implements DeliveredVersions, DeliveredVersionsEraser {
  private readonly versions = new Map<string, DeliveredVersion>();

  public async getMany(targets: readonly DeliveryTarget[]): Promise<Map<string, DeliveredVersion>> {
    const found = new Map<string, DeliveredVersion>();
    for (const target of targets) {
      const key = targetKey(target);
      const version = this.versions.get(key);
      if (version) found.set(key, version);
    }
    return found;
  }

  /**
   * Forgets one target's record (reconcile), or the records at every endpoint of the resources whose
   * `Type/id` key matches (`$reset-version`); returns how many.
   */
  public async forget(which: DeliveryTarget | ((resourceKey: string) => boolean)): Promise<number> {
    if (typeof which !== 'function') return this.versions.delete(targetKey(which)) ? 1 : 0;
    let removed = 0;
    for (const key of [...this.versions.keys()]) {
      const resource = key.slice(key.lastIndexOf(' ') + 1);
      if (which(resource) && this.versions.delete(key)) removed += 1;
    }
    return removed;
  }

  public async record(target: DeliveryTarget, version: DeliveredVersion): Promise<'recorded' | 'superseded'> {
    const key = targetKey(target);
    const current = this.versions.get(key);
    if (current && compareVersions(version, current) < 0) return 'superseded';
    this.versions.set(key, version);
    return 'recorded';
  }
}
