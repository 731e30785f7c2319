import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseDeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import {
  activeSubscription,
  ENDPOINT_B,
  FakeMatcher,
  patient,
  syntheaLikeTransaction,
} from '../../helpers/ingestFakes.js';
import { startIngestStack } from '../../helpers/ingestStack.js';
import type { IngestStack } from '../../helpers/ingestStack.js';

describe('Ingest over real sockets (local API Gateway -> handler -> dynalite + fauxqs)', () => {
  let stack: IngestStack;

  beforeAll(async () => {
    stack = await startIngestStack({
      matcher: new FakeMatcher([
        activeSubscription(),
        activeSubscription({ id: 'sub-2', endpoint: ENDPOINT_B }),
      ]),
      maxMessageBytes: 4_000,
      ingestMaxBodyBytes: 200_000,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(async () => {
    await stack.drainQueue();
  });

  it('records a PUT and enqueues one valid FIFO message per endpoint, grouped by resource and endpoint', async () => {
    const response = await stack.request('PUT', 'Patient/it-1', patient({ id: 'it-1' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('W/"1"');
    expect(response.headers.get('location')).toBe(`${stack.api.url}/Patient/it-1/_history/1`);
    expect(response.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    const messages = await stack.drainQueue();
    expect(messages).toHaveLength(2);
    // One group per resource and data store: the two endpoints' messages never hold each other back.
    const groups = messages.map((message) => message.Attributes?.MessageGroupId ?? '');
    expect(groups.every((group) => group.startsWith('Patient/it-1@'))).toBe(true);
    expect(new Set(groups).size).toBe(2);
    const parsed = messages.map((message) => parseDeliveryMessage(message.Body ?? ''));
    expect(new Set(parsed.map((message) => message.subscription.endpoint)).size).toBe(2);
    expect((await stack.ledger.getLatest(['Patient/it-1'])).get('Patient/it-1')?.versionId).toBe('1');
  });

  it('ingests a transaction and answers a transaction-response Bundle', async () => {
    const response = await stack.request('POST', '', syntheaLikeTransaction(3));
    expect(response.status).toBe(200);
    const bundle = (await response.json()) as { type: string; entry: unknown[] };
    expect(bundle.type).toBe('transaction-response');
    expect(bundle.entry).toHaveLength(4);
    expect(await stack.drainQueue()).toHaveLength(8);
  });

  it('stores a resource too large for a message in S3 with its sha256, and the message points to it', async () => {
    const big = patient({
      id: 'it-big',
      text: {
        status: 'generated',
        div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(6_000)}</div>`,
      },
    });
    const response = await stack.request('PUT', 'Patient/it-big', big);
    expect(response.status).toBe(200);
    const [message] = (await stack.drainQueue()).map((m) => parseDeliveryMessage(m.Body ?? ''));
    expect(message?.payload?.kind).toBe('s3');
    if (message?.payload?.kind !== 's3') return;
    const object = await stack.s3.send(
      new GetObjectCommand({ Bucket: message.payload.bucket, Key: message.payload.key }),
    );
    const text = (await object.Body?.transformToString()) ?? '';
    expect(createHash('sha256').update(text).digest('hex')).toBe(message.payload.sha256);
    expect(JSON.parse(text)).toMatchObject({ id: 'it-big', meta: { versionId: '1' } });
  });

  it('answers 401 with WWW-Authenticate and an OperationOutcome without a valid token', async () => {
    for (const authorization of ['', 'Bearer wrong-token']) {
      const response = await stack.request('PUT', 'Patient/it-auth', patient({ id: 'it-auth' }), {
        authorization,
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="fhir"/);
      expect(await response.json()).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [{ code: 'login' }],
      });
    }
    expect(await stack.ledger.getLatest(['Patient/it-auth'])).toEqual(new Map());
    expect(await stack.drainQueue()).toHaveLength(0);
  });

  it.each([
    [
      'malformed JSON',
      '{"resourceType": "Patient",',
      { 'content-type': 'application/fhir+json' },
      400,
      'invalid',
      'not valid JSON',
    ],
    [
      'a non-JSON content type',
      '<Patient/>',
      { 'content-type': 'application/fhir+xml' },
      415,
      'not-supported',
      'application/fhir+json',
    ],
    [
      'a body over the ingest limit',
      JSON.stringify(patient({ id: 'it-bad', note: 'y'.repeat(250_000) })),
      {},
      413,
      'too-costly',
      'at most 200000 bytes',
    ],
  ])(
    'rejects %s with a clear OperationOutcome and changes nothing',
    async (_name, body, headers, status, code, mention) => {
      const response = await stack.request('PUT', 'Patient/it-bad', body, headers);
      expect(response.status).toBe(status);
      const outcome = (await response.json()) as { issue: { code: string; diagnostics: string }[] };
      expect(outcome.issue[0]?.code).toBe(code);
      expect(outcome.issue[0]?.diagnostics).toContain(mention);
      expect(await stack.ledger.getLatest(['Patient/it-bad'])).toEqual(new Map());
      expect(await stack.drainQueue()).toHaveLength(0);
    },
  );

  it('leaves ledger and queue consistent after a concurrent burst of source-versioned writes', async () => {
    const versions = Array.from({ length: 30 }, (_, index) => index + 1).sort(() => Math.random() - 0.5);
    const responses = await Promise.all(
      versions.map((version) =>
        stack.request(
          'PUT',
          'Patient/it-burst',
          patient({ id: 'it-burst', meta: { versionId: String(version) }, active: version % 2 === 0 }),
        ),
      ),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
    const latest = (await stack.ledger.getLatest(['Patient/it-burst'])).get('Patient/it-burst');
    const messages = (await stack.drainQueue()).map((m) => parseDeliveryMessage(m.Body ?? ''));
    const enqueued = messages.map((message) => Number(message.versionId));
    expect(latest?.versionId).toBe('30');
    expect(Math.max(...enqueued)).toBe(30);
    const perEndpointVersion = new Set(
      messages.map((message) => `${message.subscription.endpoint} ${message.versionId}`),
    );
    expect(perEndpointVersion.size).toBe(messages.length);
  });

  it('assigns every connector version exactly once under a concurrent burst of unversioned writes', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        stack.request(
          'PUT',
          'Patient/it-assign',
          patient({ id: 'it-assign', birthDate: `19${String(10 + index)}-01-01` }),
        ),
      ),
    );
    const etags = responses.map((response) => response.headers.get('etag'));
    expect(new Set(etags).size).toBe(20);
    const messages = (await stack.drainQueue()).map((m) => parseDeliveryMessage(m.Body ?? ''));
    const forA = messages
      .filter((message) => message.subscription.id === 'sub-1')
      .map((message) => Number(message.versionId));
    expect(forA.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect((await stack.ledger.getLatest(['Patient/it-assign'])).get('Patient/it-assign')?.versionId).toBe(
      '20',
    );
  });
});
