import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { Resource } from '@medplum/fhirtypes';
import { parseJson } from '../../../shared/fhir/parseJson.js';
import { FhirStore, type FhirStoreOptions, type StoredChange } from './fhirStore.js';

/** One line of a journal: a stored version (`r` absent for a deletion). */
interface JournalLine {
  readonly t: string;
  readonly i: string;
  readonly v: string;
  readonly u: string;
  readonly r?: Resource;
}

const lineOf = (change: StoredChange): string =>
  `${JSON.stringify({
    t: change.resourceType,
    i: change.id,
    v: change.versionId,
    u: change.lastUpdated,
    ...(change.resource ? { r: change.resource } : {}),
  } satisfies JournalLine)}\n`;

/** A FHIR store kept on disk: every version is appended to the journal file as it is stored. */
export interface JournaledStore {
  readonly store: FhirStore;
  /** Versions read back from the journal at start. */
  readonly restored: number;
  close(): void;
}

/**
 * A `FhirStore` whose versions survive a restart: the journal (`file`, NDJSON, one version a line) is
 * replayed into a new store, written afresh with only the versions the store keeps (so it grows with
 * the data, not with every write ever made), then appended to synchronously as each version is stored,
 * so what a stand-in acknowledged is on disk. A line that does not parse (a write cut short by a crash)
 * ends the replay there.
 *
 * @example
 * const journaled = openJournaledStore(join(dataDir, 'healthlake.ndjson'));
 * const healthLake = await startHealthLakeStandin({ store: journaled.store });
 */
export const openJournaledStore = (
  file: string,
  options: Omit<FhirStoreOptions, 'onVersion'> = {},
): JournaledStore => {
  let descriptor: number | undefined;
  const store = new FhirStore({
    ...options,
    onVersion: (change) => {
      if (descriptor !== undefined) writeSync(descriptor, lineOf(change));
    },
  });
  let restored = 0;
  if (existsSync(file)) {
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (text === '') continue;
      let line: JournalLine;
      try {
        line = parseJson(text, file) as JournalLine;
      } catch {
        break;
      }
      if (line.r) store.put({ ...line.r, id: line.i }, { versionId: line.v, lastUpdated: line.u });
      else store.delete(line.t, line.i, { versionId: line.v, lastUpdated: line.u });
      restored += 1;
    }
  }
  const fresh = `${file}.new`;
  const writer = openSync(fresh, 'w', 0o600);
  try {
    for (const change of store.versions()) writeSync(writer, lineOf(change));
  } finally {
    closeSync(writer);
  }
  renameSync(fresh, file);
  descriptor = openSync(file, 'a', 0o600);
  return {
    store,
    restored,
    close: () => {
      if (descriptor === undefined) return;
      closeSync(descriptor);
      descriptor = undefined;
    },
  };
};
