import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeSha256 } from '../../../shared/fhirClient/NodeSha256.js';

// Counts the HMAC keys the module converts, to show its key cache at work.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, createSecretKey: vi.fn(actual.createSecretKey) };
});

const createSecretKey = vi.mocked(crypto.createSecretKey);
const hex = async (sha: NodeSha256) => Buffer.from(await sha.digest()).toString('hex');
const sha256 = (data: string | Buffer) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string | Buffer) =>
  crypto.createHmac('sha256', key).update(data).digest('hex');

describe('Class: NodeSha256', () => {
  beforeEach(() => {
    createSecretKey.mockClear();
  });

  it('hashes strings, byte views at an offset and ArrayBuffers as SHA-256', async () => {
    const empty = new NodeSha256();
    expect(await hex(empty)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

    const sha = new NodeSha256();
    sha.update('abc');
    expect(await hex(sha)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');

    const bytes = Buffer.from('xxhello wörldyy', 'utf8');
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 2, bytes.byteLength - 4);
    const fromView = new NodeSha256();
    fromView.update(view);
    expect(await hex(fromView)).toBe(sha256('hello wörld'));

    const buffer = new TextEncoder().encode('array buffer').buffer;
    const fromBuffer = new NodeSha256();
    fromBuffer.update(buffer);
    expect(await hex(fromBuffer)).toBe(sha256('array buffer'));
  });

  it('computes HMAC-SHA-256 with a string or a binary key (RFC 4231 case 2)', async () => {
    const withString = new NodeSha256('Jefe');
    withString.update('what do ya want ');
    withString.update('for nothing?');
    expect(await hex(withString)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');

    const key = new Uint8Array(Buffer.from('xxJefe', 'utf8')).subarray(2);
    const withBytes = new NodeSha256(key);
    withBytes.update('what do ya want for nothing?');
    expect(await hex(withBytes)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('starts over after reset, keeping its key', async () => {
    const sha = new NodeSha256('k-reset');
    sha.update('discarded');
    sha.reset();
    sha.update('kept');
    expect(await hex(sha)).toBe(hmac('k-reset', 'kept'));
    const plain = new NodeSha256();
    plain.update('discarded');
    plain.reset();
    expect(await hex(plain)).toBe(sha256(''));
  });

  it('converts each key once, however often it signs', async () => {
    for (let round = 0; round < 3; round += 1) {
      for (const secret of ['k-one', 'k-two']) {
        const sha = new NodeSha256(secret);
        sha.update('x');
        expect(await hex(sha)).toBe(hmac(secret, 'x'));
      }
    }
    const binary = Buffer.from('k-binary');
    for (let round = 0; round < 3; round += 1) {
      const sha = new NodeSha256(binary);
      sha.update('x');
      expect(await hex(sha)).toBe(hmac(binary, 'x'));
    }
    expect(createSecretKey).toHaveBeenCalledTimes(3);
  });

  it('keeps at most 64 string keys, starting over when full', async () => {
    vi.resetModules();
    const { NodeSha256: Fresh } = await import('../../../shared/fhirClient/NodeSha256.js');
    const created = vi.mocked((await import('node:crypto')).createSecretKey);
    created.mockClear();
    const secrets = Array.from({ length: 64 }, (_, index) => `bound-${index}`);
    for (const secret of secrets) new Fresh(secret);
    new Fresh(secrets[0]); // still held
    expect(created).toHaveBeenCalledTimes(64);
    new Fresh('bound-extra'); // the 65th: the cache starts over
    new Fresh(secrets[1]);
    expect(created).toHaveBeenCalledTimes(66);
  });
});
