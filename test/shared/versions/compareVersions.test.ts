import { describe, expect, it } from 'vitest';
import { compareVersions, numericVersion } from '../../../shared/versions/compareVersions.js';
import { nextAssignedVersion } from '../../../shared/versions/nextAssignedVersion.js';

const T1 = '2024-01-01T00:00:00.000Z';
const T2 = '2024-01-02T00:00:00.000Z';

describe('Function: compareVersions', () => {
  it('compares two integer ids as numbers, whatever the instants', () => {
    expect(compareVersions({ versionId: '10', lastUpdated: T1 }, { versionId: '9', lastUpdated: T2 })).toBe(
      1,
    );
    expect(compareVersions({ versionId: '2', lastUpdated: T2 }, { versionId: '5', lastUpdated: T1 })).toBe(
      -3,
    );
  });

  it('orders an integer id against an opaque one by lastUpdated', () => {
    expect(compareVersions({ versionId: '3', lastUpdated: T2 }, { versionId: 'abc', lastUpdated: T1 })).toBe(
      Date.parse(T2) - Date.parse(T1),
    );
    expect(
      compareVersions({ versionId: 'abc', lastUpdated: T1 }, { versionId: '3', lastUpdated: T2 }),
    ).toBeLessThan(0);
  });

  it('breaks a tie of instants, or unparsable ones, by the id string', () => {
    expect(compareVersions({ versionId: 'a', lastUpdated: T1 }, { versionId: 'b', lastUpdated: T1 })).toBe(
      -1,
    );
    expect(compareVersions({ versionId: 'b', lastUpdated: T1 }, { versionId: 'a', lastUpdated: T1 })).toBe(1);
    expect(compareVersions({ versionId: 'x', lastUpdated: 'bad' }, { versionId: 'y', lastUpdated: T2 })).toBe(
      -1,
    );
    expect(compareVersions({ versionId: 'y', lastUpdated: 'bad' }, { versionId: 'x', lastUpdated: T2 })).toBe(
      1,
    );
  });

  it('treats equal ids as the same version', () => {
    expect(compareVersions({ versionId: 'a', lastUpdated: T1 }, { versionId: 'a', lastUpdated: T2 })).toBe(0);
  });

  it('reads only plain integers of up to 15 digits as numbers', () => {
    expect(numericVersion('0')).toBe(0);
    expect(numericVersion('123456789012345')).toBe(123456789012345);
    expect(numericVersion('1234567890123456')).toBeUndefined();
    expect(numericVersion('01')).toBeUndefined();
    expect(numericVersion('1a')).toBeUndefined();
  });
});

describe('Function: nextAssignedVersion', () => {
  it('gives two writes without a content hash two versions', () => {
    const latest = { versionId: '1', lastUpdated: T1, deleted: false };
    expect(nextAssignedVersion(latest, { deleted: false, lastUpdated: T2 })).toStrictEqual({
      next: { versionId: '2', lastUpdated: T2, deleted: false },
    });
  });

  it('repeats the latest for the same content, or a delete of a deleted resource', () => {
    const latest = { versionId: '4', lastUpdated: T1, deleted: false, contentHash: 'h' };
    expect(nextAssignedVersion(latest, { deleted: false, lastUpdated: T2, contentHash: 'h' })).toStrictEqual({
      repeat: { status: 'current', latest },
    });
    const gone = { versionId: '5', lastUpdated: T1, deleted: true, contentHash: 'h' };
    expect(nextAssignedVersion(gone, { deleted: true, lastUpdated: T2 })).toStrictEqual({
      repeat: { status: 'current', latest: gone },
    });
    // The same content again after a delete is a new version (the resource comes back).
    expect(
      nextAssignedVersion(gone, { deleted: false, lastUpdated: T2, contentHash: 'h', endpoints: [] }),
    ).toStrictEqual({
      next: { versionId: '6', lastUpdated: T2, deleted: false, contentHash: 'h', endpoints: [] },
    });
  });

  it('gives a write with other content the next version', () => {
    const latest = { versionId: '4', lastUpdated: T1, deleted: false, contentHash: 'a' };
    expect(nextAssignedVersion(latest, { deleted: false, lastUpdated: T2, contentHash: 'b' })).toStrictEqual({
      next: { versionId: '5', lastUpdated: T2, deleted: false, contentHash: 'b' },
    });
  });

  it('starts at 1, and restarts at 1 after a non-integer latest', () => {
    expect(nextAssignedVersion(undefined, { deleted: true, lastUpdated: T1 })).toStrictEqual({
      next: { versionId: '1', lastUpdated: T1, deleted: true },
    });
    expect(
      nextAssignedVersion(
        { versionId: 'opaque', lastUpdated: T1, deleted: false },
        { deleted: false, lastUpdated: T2 },
      ),
    ).toStrictEqual({ next: { versionId: '1', lastUpdated: T2, deleted: false } });
  });
});
