import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from 'node:crypto';
import type { Checksum, SourceData } from '@smithy/types';

const toBuffer = (data: SourceData): Buffer | string =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

// Node checks a raw HMAC key through a slow path on every createHmac; a KeyObject skips it. The signer
// reuses a handful of keys (the secret, the cached signing key), so they are converted once.
const stringKeys = new Map<string, KeyObject>();
const binaryKeys = new WeakMap<object, KeyObject>();
const MAX_STRING_KEYS = 64;

const keyObject = (secret: SourceData): KeyObject => {
  if (typeof secret === 'string') {
    let key = stringKeys.get(secret);
    if (!key) {
      if (stringKeys.size >= MAX_STRING_KEYS) stringKeys.clear();
      key = createSecretKey(Buffer.from(secret));
      stringKeys.set(secret, key);
    }
    return key;
  }
  let key = binaryKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(toBuffer(secret)));
    binaryKeys.set(secret, key);
  }
  return key;
};

/**
 * SHA-256 / HMAC-SHA-256 for `@smithy/signature-v4` on Node's native crypto: several times faster than
 * the pure-JS `@aws-crypto/sha256-js`, which matters at thousands of signatures per second.
 */
export class NodeSha256 implements Checksum {
  private readonly key: KeyObject | undefined;
  private hash: Hash | Hmac;

  public constructor(secret?: SourceData) {
    this.key = secret === undefined ? undefined : keyObject(secret);
    this.hash = this.create();
  }

  public update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }

  public async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }

  public reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.key === undefined ? createHash('sha256') : createHmac('sha256', this.key);
  }
}
