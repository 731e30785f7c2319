import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { MAX_RECORDED_STS_CALLS, StsStandin } from '../../../../local/standins/healthlake/sts.js';
import { NodeSha256 } from '../../../../shared/fhirClient/NodeSha256.js';

// What the STS stand-in holds after days of AssumeRole calls: the credentials still in use and the
// latest calls, not one entry per call ever made.

const CALLER = { accessKeyId: 'AKIDSTSMEMORY', secretAccessKey: 'sts-memory-secret' };
const ROLE = 'arn:aws:iam::111122223333:role/healthlake-writer';

/** A signed AssumeRole call at `time`, as the SDK's STS client sends it (Query protocol, POST). */
const assumeRole = async (time: number) => {
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: ROLE,
    RoleSessionName: 'healthlake-connector-memory',
    DurationSeconds: '900',
  }).toString();
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    path: '/',
    headers: { host: '127.0.0.1', 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const signer = new SignatureV4({
    credentials: CALLER,
    region: 'us-east-1',
    service: 'sts',
    sha256: NodeSha256,
  });
  const signed = await signer.sign(request, { signingDate: new Date(time) });
  return { method: 'POST', path: '/', rawQuery: '', headers: signed.headers, body: Buffer.from(body) };
};

describe('StsStandin (memory)', () => {
  it('forgets credentials an hour past their expiry and keeps the latest calls only', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const sts = new StsStandin({ roleArn: ROLE, baseCredentials: [CALLER], now: () => now });
    const issued: string[] = [];
    // Three days of a deliverer assuming the role every 15 minutes, then a burst past the call record.
    for (let call = 0; call < 3 * 24 * 4; call += 1) {
      now += 15 * 60_000;
      expect((await sts.handle(await assumeRole(now))).status).toBe(200);
      issued.push(sts.calls.at(-1)!.issuedAccessKeyId!);
    }
    for (let call = 0; call < MAX_RECORDED_STS_CALLS; call += 1) await sts.handle(await assumeRole(now));
    expect(sts.calls).toHaveLength(MAX_RECORDED_STS_CALLS);
    // Issued 15-minute credentials are still known within the hour after they expire (ExpiredToken),
    // forgotten after it.
    expect(sts.issuedCredential(issued.at(-1)!)).toBeDefined();
    expect(sts.issuedCredential(issued.at(-6)!)).toBeDefined();
    expect(sts.issuedCredential(issued.at(-7)!)).toBeUndefined();
    expect(sts.issuedCredential(issued[0]!)).toBeUndefined();
  });
});
