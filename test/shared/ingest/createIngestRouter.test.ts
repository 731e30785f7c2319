import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FhirRequest } from '../../../shared/http/types.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { parseDeliveryMessage } from '../../../shared/messages/deliveryMessage.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import {
  activeSubscription,
  ENDPOINT_B,
  FakeMatcher,
  fhirRequest,
  observation,
  patient,
  RecordingQueue,
  syntheaLikeTransaction,
} from '../../helpers/ingestFakes.js';
import { hasSynthea, SYNTHEA_DIR, SYNTHEA_SKIP_MESSAGE } from '../../helpers/synthea.js';

const NOW = new Date('2025-03-01T12:00:00.000Z');

const setup = (options: { maxBundleEntries?: number } = {}) => {
  const ledger = new InMemoryVersionLedger();
  const queue = new RecordingQueue();
  const matcher = new FakeMatcher([
    activeSubscription(),
    activeSubscription({ id: 'sub-2', endpoint: ENDPOINT_B }),
  ]);
  const pipeline = new DefaultWritePipeline({ ledger, matcher, queue, now: () => NOW });
  const rejected: number[] = [];
  const route = createIngestRouter({
    pipeline,
    limits: { maxBundleEntries: options.maxBundleEntries ?? 1000 },
    observer: { rejected: () => rejected.push(1), written: () => undefined },
  });
  const keys = async () => [...(await ledger.getLatest(['Patient/p1', 'Patient/p2'])).keys()];
  return { ledger, queue, matcher, route, rejected, keys };
};

type Body = Record<string, unknown>;
const issueOf = (body: unknown) => (body as { issue: Body[] }).issue[0] as Body;

describe('Function: createIngestRouter', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });

  describe('PUT [base]/{type}/{id}', () => {
    it('records a connector version, enqueues one message per endpoint and answers with the resource', async () => {
      const response = await env.route(fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient() }));
      expect(response.status).toBe(200);
      expect(response.headers).toMatchObject({
        etag: 'W/"1"',
        location: 'https://ingest.example.org/fhir/Patient/p1/_history/1',
        'last-modified': NOW.toUTCString(),
        'content-type': 'application/fhir+json; charset=utf-8',
      });
      expect(response.body).toMatchObject({
        id: 'p1',
        meta: { versionId: '1', lastUpdated: NOW.toISOString() },
      });
      expect(env.queue.messages).toHaveLength(2);
      const message = parseDeliveryMessage(JSON.stringify(env.queue.messages[0]));
      expect(message).toMatchObject({ operation: 'upsert', versionId: '1', payload: { kind: 'inline' } });
    });

    it('keeps the source meta.versionId and lastUpdated', async () => {
      const meta = { versionId: '7', lastUpdated: '2024-05-05T05:05:05.000Z' };
      const response = await env.route(
        fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient({ meta }) }),
      );
      expect(response.headers?.etag).toBe('W/"7"');
      expect(env.queue.messages[0]).toMatchObject({ versionId: '7', lastUpdated: meta.lastUpdated });
    });

    it('acknowledges a stale version with the newer ETag and an informational outcome, without delivering it', async () => {
      await env.route(
        fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient({ meta: { versionId: '5' } }) }),
      );
      const before = env.queue.messages.length;
      const response = await env.route(
        fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient({ meta: { versionId: '4' } }) }),
      );
      expect(response.status).toBe(200);
      expect(response.headers?.etag).toBe('W/"5"');
      expect(issueOf(response.body)).toMatchObject({ severity: 'information', code: 'informational' });
      expect(env.queue.messages).toHaveLength(before);
    });

    it('re-sends the same deduplicated messages for a retried identical request', async () => {
      await env.route(fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient() }));
      const retry = await env.route(fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient() }));
      expect(retry.headers?.etag).toBe('W/"1"');
      expect(env.queue.messages).toHaveLength(4);
      expect(env.queue.messages[2]).toEqual(env.queue.messages[0]);
    });

    it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
      const minimal = await env.route(
        fhirRequest({
          method: 'PUT',
          path: 'Patient/p1',
          body: patient(),
          headers: { prefer: 'return=minimal' },
        }),
      );
      expect(minimal.body).toBeUndefined();
      expect(minimal.headers?.etag).toBe('W/"1"');
      const outcome = await env.route(
        fhirRequest({
          method: 'PUT',
          path: 'Patient/p2',
          body: patient({ id: 'p2' }),
          headers: { prefer: 'return=OperationOutcome' },
        }),
      );
      expect(outcome.body).toMatchObject({ resourceType: 'OperationOutcome' });
    });
  });

  it('creates with a server-assigned id on POST [base]/{type} and answers 201 with Location', async () => {
    const response = await env.route(
      fhirRequest({ method: 'POST', path: 'Patient', body: patient({ id: 'ignored' }) }),
    );
    expect(response.status).toBe(201);
    const id = (response.body as { id: string }).id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers?.location).toBe(`https://ingest.example.org/fhir/Patient/${id}/_history/1`);
  });

  it('replicates DELETE [base]/{type}/{id} with 204 and a delete message', async () => {
    await env.route(fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient() }));
    const response = await env.route(fhirRequest({ method: 'DELETE', path: 'Patient/p1' }));
    expect(response.status).toBe(204);
    expect(response.headers?.etag).toBe('W/"2"');
    const deletes = env.queue.messages.filter((message) => message.operation === 'delete');
    expect(deletes).toHaveLength(2);
    expect(deletes[0]?.payload).toBeUndefined();
  });

  describe('POST [base] transaction', () => {
    it('assigns ids to urn:uuid entries and rewrites every reference, also inside extensions', async () => {
      const response = await env.route(
        fhirRequest({ method: 'POST', path: '', body: syntheaLikeTransaction(2) }),
      );
      expect(response.status).toBe(200);
      const bundle = response.body as {
        type: string;
        entry: { response: { status: string; location: string } }[];
      };
      expect(bundle.type).toBe('transaction-response');
      expect(bundle.entry.map((entry) => entry.response.status)).toEqual([
        '201 Created',
        '201 Created',
        '201 Created',
      ]);
      const patientLocation = bundle.entry[0]?.response.location ?? '';
      const patientRef = patientLocation.replace(/\/_history\/.*$/, '');
      const observationMessage = env.queue.messages.find((message) => message.resourceType === 'Observation');
      const resource =
        observationMessage?.payload?.kind === 'inline' ? observationMessage.payload.resource : {};
      expect(resource.subject).toEqual({ reference: patientRef });
      expect(JSON.stringify(resource)).not.toContain('urn:uuid');
    });

    it('rejects the whole transaction when one entry is invalid, recording and enqueueing nothing', async () => {
      const bundle = syntheaLikeTransaction(3) as unknown as { entry: Body[] };
      (bundle.entry[2] as Body).resource = observation({
        status: 'not-a-status',
        valueQuantity: { value: 'x' },
      });
      const response = await env.route(fhirRequest({ method: 'POST', path: '', body: bundle }));
      expect(response.status).toBe(400);
      const expressions = (response.body as { issue: { expression: string[] }[] }).issue.flatMap(
        (i) => i.expression,
      );
      expect(expressions.some((e) => e.startsWith('Bundle.entry[2].resource'))).toBe(true);
      expect(env.queue.messages).toHaveLength(0);
      expect(env.matcher.calls).toHaveLength(0);
    });

    it('rejects an unresolvable urn:uuid reference with its expression', async () => {
      const bundle = syntheaLikeTransaction(1) as unknown as { entry: Body[] };
      (bundle.entry[1] as Body).resource = observation({
        subject: { reference: 'urn:uuid:00000000-dead-4000-8000-000000000000' },
      });
      const response = await env.route(fhirRequest({ method: 'POST', path: '', body: bundle }));
      expect(response.status).toBe(400);
      expect(issueOf(response.body)).toMatchObject({
        code: 'not-found',
        expression: ['Bundle.entry[1].resource.subject.reference'],
      });
      expect(env.queue.messages).toHaveLength(0);
    });

    it('rejects an entry without request, naming Bundle.entry[n].request', async () => {
      const bundle = syntheaLikeTransaction(3) as unknown as { entry: Body[] };
      delete (bundle.entry[3] as Body).request;
      const response = await env.route(fhirRequest({ method: 'POST', path: '', body: bundle }));
      expect(response.status).toBe(400);
      expect(issueOf(response.body)).toMatchObject({
        code: 'required',
        expression: ['Bundle.entry[3].request'],
      });
      expect(env.queue.messages).toHaveLength(0);
    });

    it('rejects conditional entries as not supported', async () => {
      const bundle = syntheaLikeTransaction(1) as unknown as { entry: Body[] };
      (bundle.entry[0] as Body).request = { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=x|y' };
      const response = await env.route(fhirRequest({ method: 'POST', path: '', body: bundle }));
      expect(response.status).toBe(400);
      expect(issueOf(response.body)).toMatchObject({
        code: 'not-supported',
        expression: ['Bundle.entry[0].request'],
      });
    });

    it('rejects a Bundle with more entries than the configured limit, saying the limit', async () => {
      env = setup({ maxBundleEntries: 2 });
      const response = await env.route(
        fhirRequest({ method: 'POST', path: '', body: syntheaLikeTransaction(2) }),
      );
      expect(response.status).toBe(413);
      expect(issueOf(response.body).diagnostics).toContain('limit is 2 entries');
      expect(env.queue.messages).toHaveLength(0);
    });

    it('rejects the same resource written twice', async () => {
      const body = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: patient(), request: { method: 'PUT', url: 'Patient/p1' } },
          { request: { method: 'DELETE', url: 'Patient/p1' } },
        ],
      };
      const response = await env.route(fhirRequest({ method: 'POST', path: '', body }));
      expect(response.status).toBe(400);
      expect(issueOf(response.body)).toMatchObject({ code: 'duplicate', expression: ['Bundle.entry[1]'] });
    });
  });

  describe('POST [base] batch', () => {
    it('answers each entry on its own: good entries recorded, bad ones 400 with their outcome', async () => {
      const body = {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: patient(), request: { method: 'PUT', url: 'Patient/p1' } },
          { resource: patient({ id: 'other' }), request: { method: 'PUT', url: 'Patient/p2' } },
          { request: { method: 'DELETE', url: 'Patient/p2' } },
          { resource: patient(), request: { method: 'GET', url: 'Patient/p1' } },
        ],
      };
      const response = await env.route(fhirRequest({ method: 'POST', path: '', body }));
      expect(response.status).toBe(200);
      const entries = (response.body as { type: string; entry: { response: Body }[] }).entry;
      expect((response.body as { type: string }).type).toBe('batch-response');
      expect(entries.map((entry) => entry.response.status)).toEqual([
        '200 OK',
        '400 Bad Request',
        '204 No Content',
        '400 Bad Request',
      ]);
      expect(entries[0]?.response).toMatchObject({ etag: 'W/"1"', location: 'Patient/p1/_history/1' });
      expect(issueOf(entries[1]?.response.outcome)).toMatchObject({
        expression: ['Bundle.entry[1].resource.id'],
      });
      expect(env.queue.messages.map((message) => `${message.operation} ${message.id}`)).toEqual([
        'upsert p1',
        'upsert p1',
        'delete p2',
        'delete p2',
      ]);
      expect(env.rejected).toHaveLength(2);
    });
  });

  describe('bad input: a clear OperationOutcome, nothing changed', () => {
    const cases: Array<[string, FhirRequest, number, Body]> = [
      [
        'an unknown resourceType in the body',
        fhirRequest({ method: 'PUT', path: 'Patient/p1', body: { resourceType: 'Patientt', id: 'p1' } }),
        400,
        { expression: ['Patient.resourceType'] },
      ],
      [
        'a body type that disagrees with the URL',
        fhirRequest({ method: 'PUT', path: 'Patient/p1', body: observation({ id: 'p1' }) }),
        400,
        { expression: ['Patient.resourceType'] },
      ],
      [
        'a body id that disagrees with the URL',
        fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient({ id: 'p2' }) }),
        400,
        { expression: ['Patient.id'] },
      ],
      [
        'a path trick as id',
        fhirRequest({ method: 'PUT', path: 'Patient/..%2F..%2Fetc', body: patient() }),
        400,
        { code: 'invalid' },
      ],
      [
        'a decoded path trick',
        fhirRequest({ method: 'PUT', path: 'Patient/../Observation/1', body: patient() }),
        400,
        { code: 'invalid' },
      ],
      [
        'structurally invalid FHIR',
        fhirRequest({
          method: 'PUT',
          path: 'Patient/p1',
          body: patient({ birthDate: 'yesterday', gender: 7 }),
        }),
        400,
        { code: 'structure' },
      ],
      [
        'a Bundle that is neither transaction nor batch',
        fhirRequest({ method: 'POST', path: '', body: { resourceType: 'Bundle', type: 'collection' } }),
        400,
        { expression: ['Bundle.type'] },
      ],
      [
        'a non-Bundle body posted to [base]',
        fhirRequest({ method: 'POST', path: '', body: patient() }),
        400,
        { expression: ['Bundle'] },
      ],
      ['no body on PUT', fhirRequest({ method: 'PUT', path: 'Patient/p1' }), 400, { code: 'structure' }],
      [
        'conditional update',
        fhirRequest({ method: 'PUT', path: 'Patient', query: { identifier: ['a|b'] }, body: patient() }),
        400,
        { code: 'not-supported' },
      ],
      [
        'an unknown type in the URL',
        fhirRequest({ method: 'PUT', path: 'Patientt/p1', body: patient() }),
        404,
        { code: 'not-supported' },
      ],
      [
        'a Subscription-type write through a Bundle',
        fhirRequest({
          method: 'POST',
          path: '',
          body: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              {
                resource: { resourceType: 'Subscription' },
                request: { method: 'POST', url: 'Subscription' },
              },
            ],
          },
        }),
        400,
        { code: 'not-supported' },
      ],
    ];
    it.each(cases)('rejects %s', async (_name, request, status, expected) => {
      const response = await env.route(request);
      expect(response.status).toBe(status);
      expect(issueOf(response.body)).toMatchObject({ severity: 'error', ...expected });
      expect(env.queue.messages).toHaveLength(0);
      expect(await env.keys()).toEqual([]);
    });

    it('does not echo resource values in validator diagnostics', async () => {
      const response = await env.route(
        fhirRequest({
          method: 'PUT',
          path: 'Patient/p1',
          body: patient({ secretValue: 'Jane Q Private', birthDate: 'Jane-Doe' }),
        }),
      );
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).not.toMatch(/Jane/);
      expect(JSON.stringify(response.body)).toContain('Patient.secretValue');
    });
  });

  describe('reads and metadata', () => {
    it('answers reads and searches with 405 and an OperationOutcome naming where reads are served', async () => {
      for (const path of ['Patient/p1', 'Patient', 'Patient/p1/_history/1', 'Patient/_history']) {
        const response = await env.route(fhirRequest({ method: 'GET', path }));
        expect(response.status).toBe(405);
        expect(issueOf(response.body).diagnostics).toContain('source FHIR server');
      }
    });

    it('describes exactly what is supported in GET [base]/metadata', async () => {
      const response = await env.route(fhirRequest({ method: 'GET', path: 'metadata' }));
      const statement = response.body as {
        fhirVersion: string;
        format: string[];
        rest: {
          resource: { type: string; interaction: { code: string }[] }[];
          interaction: { code: string }[];
        }[];
      };
      expect(statement.fhirVersion).toBe('4.0.1');
      expect(statement.format).toEqual(['json', 'application/fhir+json']);
      const patientEntry = statement.rest[0]?.resource.find((resource) => resource.type === 'Patient');
      expect(patientEntry?.interaction.map((i) => i.code)).toEqual(['update', 'create', 'delete']);
      expect(statement.rest[0]?.resource.some((resource) => resource.type === 'Subscription')).toBe(false);
      expect(statement.rest[0]?.interaction.map((i) => i.code)).toEqual(['transaction', 'batch']);
    });
  });

  describe('plugged-in routes', () => {
    it('sends Subscription requests and $trigger-subscription to their routes', async () => {
      const seen: string[] = [];
      const route = createIngestRouter({
        pipeline: new DefaultWritePipeline({
          ledger: new InMemoryVersionLedger(),
          matcher: new FakeMatcher(),
          queue: new RecordingQueue(),
        }),
        subscriptionRoute: async (request) => (seen.push(`sub ${request.path}`), { status: 200 }),
        routes: [
          async (request) =>
            request.path.startsWith('$backfill-job') ? (seen.push('job'), { status: 202 }) : undefined,
        ],
        triggerSubscriptionRoute: async () => (seen.push('trigger'), { status: 202 }),
      });
      await route(fhirRequest({ method: 'PUT', path: 'Subscription/s1' }));
      await route(fhirRequest({ method: 'POST', path: 'Subscription/s1/$trigger-subscription' }));
      await route(fhirRequest({ method: 'GET', path: '$backfill-job/j1' }));
      expect(seen).toEqual(['sub Subscription/s1', 'trigger', 'job']);
      const metadata = await route(fhirRequest({ method: 'GET', path: 'metadata' }));
      expect(JSON.stringify(metadata.body)).toContain('trigger-subscription');
    });
  });

  it('answers 503 and acknowledges nothing when the queue fails', async () => {
    env.queue.failWith = new Error('network down');
    const response = await env.route(fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient() }));
    expect(response.status).toBe(503);
    expect(issueOf(response.body)).toMatchObject({ code: 'transient' });
    expect(JSON.stringify(response.body)).not.toContain('network down');
  });

  describe.skipIf(!hasSynthea())('Synthea transaction Bundles', () => {
    it('ingests every Synthea Bundle as a transaction', { timeout: 120_000 }, async () => {
      const files = readdirSync(SYNTHEA_DIR).filter((file) => file.endsWith('.json'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const body = JSON.parse(readFileSync(join(SYNTHEA_DIR, file), 'utf8')) as { entry: unknown[] };
        const before = env.queue.messages.length;
        const response = await env.route(
          fhirRequest({ method: 'POST', path: '', body, headers: { prefer: 'return=minimal' } }),
        );
        expect({
          file,
          status: response.status,
          issue: response.status === 200 ? undefined : issueOf(response.body),
        }).toEqual({ file, status: 200, issue: undefined });
        expect(env.queue.messages.length - before).toBe(body.entry.length * 2);
        const added = env.queue.messages.slice(before);
        expect(added.some((message) => JSON.stringify(message).includes('urn:uuid:'))).toBe(false);
      }
    });
  });
  if (!hasSynthea()) console.warn(SYNTHEA_SKIP_MESSAGE);
});
