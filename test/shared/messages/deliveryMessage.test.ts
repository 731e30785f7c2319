import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import {
  DeliveryMessage,
  InvalidDeliveryMessageError,
  parseDeliveryMessage,
} from '../../../shared/messages/deliveryMessage.js';
import { deliveryMessage } from '../../helpers/deliveryMessages.js';

const S3_PAYLOAD = { kind: 's3', bucket: 'payloads', key: 'k/1.json', bytes: 10, sha256: 'a'.repeat(64) };

/** The problems parseDeliveryMessage reports for `body`, or undefined when it parses. */
const problemsOf = (body: unknown): string | undefined => {
  try {
    parseDeliveryMessage(typeof body === 'string' ? body : JSON.stringify(body));
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDeliveryMessageError);
    return (error as InvalidDeliveryMessageError).problems;
  }
};

describe('parseDeliveryMessage', () => {
  it('accepts inline and S3 upserts and deletes, and returns them unchanged', () => {
    const inline = deliveryMessage();
    const s3 = { ...deliveryMessage(), payload: S3_PAYLOAD };
    const remove = deliveryMessage({ operation: 'delete', subscription: { maxAttempts: 4 } });
    const sourceChecked = deliveryMessage({
      subscription: { sourceCriteria: ['Patient?_has:Observation:patient:code=1', 'Patient?name:text=x y'] },
    });
    for (const message of [inline, s3, remove, sourceChecked]) {
      expect(parseDeliveryMessage(JSON.stringify(message))).toEqual(message);
    }
  });

  it.each([
    { name: 'wrong schema version', body: { ...deliveryMessage(), schema: 'other/v9' }, path: 'schema' },
    { name: 'unknown operation', body: { ...deliveryMessage(), operation: 'patch' }, path: 'operation' },
    {
      name: 'bad resource type',
      body: { ...deliveryMessage(), resourceType: 'patient' },
      path: 'resourceType',
    },
    { name: 'bad id', body: { ...deliveryMessage(), id: 'a/b' }, path: 'id' },
    { name: 'empty versionId', body: { ...deliveryMessage(), versionId: '' }, path: 'versionId' },
    {
      name: 'versionId over 64',
      body: { ...deliveryMessage(), versionId: '1'.repeat(65) },
      path: 'versionId',
    },
    {
      name: 'lastUpdated without offset',
      body: { ...deliveryMessage(), lastUpdated: '2026-01-01T00:00:00' },
      path: 'lastUpdated',
    },
    {
      name: 'endpoint not a URL',
      body: deliveryMessage({ subscription: { endpoint: 'not a url' } }),
      path: 'subscription.endpoint',
    },
    {
      name: 'maxAttempts 0',
      body: deliveryMessage({ subscription: { maxAttempts: 0 } }),
      path: 'subscription.maxAttempts',
    },
    {
      name: 'maxAttempts 1.5',
      body: deliveryMessage({ subscription: { maxAttempts: 1.5 } }),
      path: 'subscription.maxAttempts',
    },
    {
      name: 'source criteria that are not Type?query',
      body: deliveryMessage({ subscription: { sourceCriteria: ['https://evil.example/x?y=1'] } }),
      path: 'subscription.sourceCriteria.0',
    },
    {
      name: 'source criteria with a fragment',
      body: deliveryMessage({ subscription: { sourceCriteria: ['Patient?name=x#frag'] } }),
      path: 'subscription.sourceCriteria.0',
    },
    {
      name: 'more source criteria than Subscriptions may need the source',
      body: deliveryMessage({
        subscription: { sourceCriteria: Array.from({ length: 101 }, () => 'Patient?a.b=1') },
      }),
      path: 'subscription.sourceCriteria',
    },
    {
      name: 'unknown trace source',
      body: deliveryMessage({ trace: { source: 'x' as never } }),
      path: 'trace.source',
    },
    { name: 'upsert without payload', body: { ...deliveryMessage(), payload: undefined }, path: 'payload' },
    {
      name: 'delete with payload',
      body: { ...deliveryMessage({ operation: 'delete' }), payload: S3_PAYLOAD },
      path: 'payload',
    },
    {
      name: 'S3 payload of 0 bytes',
      body: { ...deliveryMessage(), payload: { ...S3_PAYLOAD, bytes: 0 } },
      path: 'payload.bytes',
    },
    {
      name: 'S3 sha256 not hex',
      body: { ...deliveryMessage(), payload: { ...S3_PAYLOAD, sha256: 'Z'.repeat(64) } },
      path: 'payload.sha256',
    },
    {
      name: 'unknown payload kind',
      body: { ...deliveryMessage(), payload: { kind: 'ftp' } },
      path: 'payload.kind',
    },
  ])('rejects $name, naming $path', ({ body, path }) => {
    expect(
      problemsOf(body)
        ?.split('; ')
        .map((problem) => problem.split(':')[0]),
    ).toContain(path);
  });

  it('rejects a body that is not JSON', () => {
    expect(problemsOf('{')).toBe('body is not JSON');
  });

  it('names paths, never the values it refused', () => {
    const problems = problemsOf({ ...deliveryMessage(), id: 'SECRET/VALUE', versionId: '' });
    expect(problems).toContain('id:');
    expect(problems).not.toContain('SECRET');
  });
});

describe('DeliveryMessage compiled (z.compile, as parseDeliveryMessage uses it)', () => {
  it('parses and refuses exactly as the schema does: same data, same issues', () => {
    const compiled = z.compile(DeliveryMessage);
    const replication = {
      idPrefix: 'CDR1-',
      idPrefixSelector: '[a-zA-Z]+/[0-9]+',
      stripReferenceBaseUrl: 'https://x',
    };
    const bodies: unknown[] = [
      deliveryMessage(),
      { ...deliveryMessage(), payload: S3_PAYLOAD },
      deliveryMessage({ operation: 'delete', subscription: { maxAttempts: 4 } }),
      deliveryMessage({
        subscription: { replication, payloadSearchCriteria: 'Observation?subject=${matched_resource_id}' },
      }),
      deliveryMessage({ trace: { source: 'reconcile', jobId: 'job-1' } }),
      {
        ...deliveryMessage(),
        extra: 'dropped',
        subscription: { ...deliveryMessage().subscription, extra: 1 },
      },
      { ...deliveryMessage(), id: 'a/b', versionId: '' },
      { ...deliveryMessage(), payload: { ...S3_PAYLOAD, bytes: 0 } },
      { ...deliveryMessage({ operation: 'delete' }), payload: S3_PAYLOAD },
      deliveryMessage({ subscription: { endpoint: 'not a url', maxAttempts: 1.5 } }),
      { ...deliveryMessage(), lastUpdated: '2026-01-01T00:00:00' },
      null,
      [],
      'text',
    ];
    for (const body of bodies) {
      const expected = DeliveryMessage.safeParse(body);
      const actual = compiled.safeParse(body);
      expect({ success: actual.success, data: actual.data, issues: actual.error?.issues }).toEqual({
        success: expected.success,
        data: expected.data,
        issues: expected.error?.issues,
      });
    }
  });
});
