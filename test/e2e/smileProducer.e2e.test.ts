import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import type { FhirStandin } from '../../local/standins/healthlake/index.js';
import { CONNECTOR_EXTENSIONS } from '../../shared/config/constants.js';
import { api, waitFor } from './e2eHelpers.js';

const SEND_DELETES = 'http://hapifhir.io/fhir/StructureDefinition/subscription-send-delete-messages';

interface ProducerSubscription {
  readonly criteria: string;
  readonly channel: {
    readonly type: string;
    endpoint: string;
    readonly payload?: string;
    header: string[];
    readonly extension?: { readonly url: string; readonly valueBoolean?: boolean }[];
  };
}

/** The producer-side Subscription exactly as the README tells Smile CDR and HAPI FHIR users to create it. */
const readmeProducerSubscription = (): ProducerSubscription => {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const marker = readme.indexOf('<!-- producer-subscription -->');
  const block = /```json\n([\s\S]*?)\n```/.exec(readme.slice(marker));
  if (marker < 0 || !block?.[1]) throw new Error('README: no producer Subscription');
  return JSON.parse(block[1]) as ProducerSubscription;
};

/**
 * What HAPI FHIR's rest-hook deliverer (SubscriptionDeliveringRestHookSubscriber, which Smile CDR runs)
 * sends for a Subscription with a payload: `PUT {endpoint}/{Type}/{id}` with the resource for a create
 * or update, `DELETE {endpoint}/{Type}/{id}` for a delete only with subscription-send-delete-messages,
 * each with the Subscription's header lines and the headers of HAPI's generic client.
 */
const restHook = async (
  subscription: ProducerSubscription,
  event: { operation: 'create' | 'update' | 'delete'; resource: { resourceType: string; id: string } },
): Promise<number | undefined> => {
  const { channel } = subscription;
  const sendsDeletes = channel.extension?.some((entry) => entry.url === SEND_DELETES && entry.valueBoolean);
  if (event.operation === 'delete' && !sendsDeletes) return undefined;
  const headers: Record<string, string> = {
    accept: 'application/fhir+json;q=1.0, application/json+fhir;q=0.9',
    'accept-charset': 'utf-8',
    'accept-encoding': 'gzip',
    'user-agent': 'HAPI-FHIR/7.4.0 (FHIR Client; FHIR 4.0.1/R4; apache)',
  };
  for (const line of channel.header) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const url = `${channel.endpoint.replace(/\/$/, '')}/${event.resource.resourceType}/${event.resource.id}`;
  const response =
    event.operation === 'delete'
      ? await fetch(url, { method: 'DELETE', headers })
      : await fetch(url, {
          method: 'PUT',
          headers: { ...headers, 'content-type': 'application/fhir+json; charset=UTF-8' },
          body: JSON.stringify(event.resource),
        });
  await response.arrayBuffer();
  return response.status;
};

/** What HAPI's rest-hook takes for a delivered request: any 2xx. */
const succeeded = (status: number | undefined): boolean =>
  status !== undefined && status >= 200 && status < 300;

/** Seed 003's manual HealthLake Subscription, as Smile's HealthLake module users create it. */
const smileHealthLakeSubscription = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/smile/seed003-manual-subscription.json'), 'utf8'),
) as { id: string };

const patient = (version: number, family: string, lastUpdated: string) => ({
  resourceType: 'Patient',
  id: 'smile-p1',
  meta: { versionId: String(version), lastUpdated },
  active: true,
  name: [{ family }],
});

const observation = (id: string, subject: string): Observation & { id: string } => ({
  resourceType: 'Observation',
  id,
  meta: { versionId: '1', lastUpdated: '2026-01-02T00:00:00.000Z' },
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: `Patient/${subject}` },
});

describe('Local mode: Smile CDR / HAPI FHIR wired to the connector as the README says', () => {
  let connector: LocalConnector;
  let healthlake: FhirStandin;
  let source: FhirStandin;
  let producer: ProducerSubscription;
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'hlc-smile-producer-'));
    // A transform as local mode runs it (a JavaScript module behind the Lambda stand-in).
    const mask = join(folder, 'mask.mjs');
    await writeFile(
      mask,
      `export const handler = async ({ resource }) =>
        resource.code?.text === 'drop' ? null : { ...resource, note: [{ text: 'masked' }], subject: undefined };`,
    );
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'silent',
      progress: 'off',
      autoSubscription: false,
      retryBaseSeconds: 0,
      retryMaxSeconds: 1,
      transforms: [`mask=${mask}`],
    });
    healthlake = connector.healthlake!;
    source = connector.source!;
    producer = readmeProducerSubscription();
    // What the user fills in: the connector's API and a write-scope (producer) token.
    producer.channel.endpoint = `${connector.apiUrl}/`;
    producer.channel.header = producer.channel.header.map((line) =>
      line.replace('{write token}', connector.writeToken),
    );
  }, 120_000);

  afterAll(async () => {
    await connector?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("delivers the rest-hook's create, update and delete into HealthLake", async () => {
    expect(producer).toMatchObject({
      criteria: '[*]',
      channel: { type: 'rest-hook', payload: 'application/fhir+json' },
    });
    expect(producer.channel.header).toEqual([`Authorization: Bearer ${connector.writeToken}`]);
    // The connector's own Subscription: Smile's HealthLake module example, as its users create it.
    const created = await api(
      connector,
      'PUT',
      `Subscription/${smileHealthLakeSubscription.id}`,
      smileHealthLakeSubscription,
    );
    expect(created.status).toBe(201);
    expect((created.body as { status?: string }).status).toBe('active');

    expect(
      succeeded(
        await restHook(producer, {
          operation: 'create',
          resource: patient(1, 'Original', '2026-01-01T00:00:00.000Z'),
        }),
      ),
    ).toBe(true);
    await waitFor(() => healthlake.current('Patient', 'smile-p1'), { message: 'the create in HealthLake' });
    expect(
      succeeded(
        await restHook(producer, {
          operation: 'update',
          resource: patient(2, 'Updated', '2026-01-01T00:01:00.000Z'),
        }),
      ),
    ).toBe(true);
    await waitFor(
      () =>
        (healthlake.current('Patient', 'smile-p1') as { name?: { family?: string }[] } | undefined)?.name?.[0]
          ?.family === 'Updated',
      { message: 'the update in HealthLake' },
    );
    const deleted = await restHook(producer, {
      operation: 'delete',
      resource: { resourceType: 'Patient', id: 'smile-p1' },
    });
    expect(succeeded(deleted)).toBe(true);
    await waitFor(() => healthlake.current('Patient', 'smile-p1') === undefined, {
      message: 'the delete in HealthLake',
    });
    const writes = healthlake.requests
      .filter((request) => request.path === 'Patient/smile-p1' && request.method !== 'GET')
      .map((request) => request.method);
    expect(writes).toEqual(['PUT', 'PUT', 'DELETE']);

    // The same Subscription without subscription-send-delete-messages sends no delete at all: what the
    // README warns of (HealthLake would keep the record forever).
    const withoutDeletes = { ...producer, channel: { ...producer.channel, extension: [] } };
    expect(
      await restHook(withoutDeletes, {
        operation: 'delete',
        resource: { resourceType: 'Patient', id: 'smile-p1' },
      }),
    ).toBeUndefined();

    const removed = await api(connector, 'DELETE', `Subscription/${smileHealthLakeSubscription.id}`);
    expect([200, 204]).toContain(removed.status);
  }, 90_000);

  it('a chained criteria Subscription delivers exactly the Observations whose Patient matches on the source', async () => {
    const created = await api(connector, 'PUT', 'Subscription/chained', {
      resourceType: 'Subscription',
      id: 'chained',
      status: 'requested',
      reason: "Observations of Peter's",
      criteria: 'Observation?subject:Patient.name=peter',
      channel: {
        type: 'rest-hook',
        payload: 'application/fhir+json',
        extension: [
          { url: SEND_DELETES, valueBoolean: true },
          {
            url: 'http://hapifhir.io/fhir/StructureDefinition/subscription-resthook-deliver-latest-version',
            valueBoolean: true,
          },
        ],
      },
    });
    expect(created.status).toBe(201);
    expect((created.body as { status?: string }).status).toBe('active');

    // The system of record holds the Patients (never written through the connector) and the Observations.
    source.store.put({ resourceType: 'Patient', id: 'peter', name: [{ family: 'Smith', given: ['Peter'] }] });
    source.store.put({ resourceType: 'Patient', id: 'ann', name: [{ family: 'Jones', given: ['Ann'] }] });
    const matching = observation('obs-peter', 'peter');
    const other = observation('obs-ann', 'ann');
    source.store.put(matching);
    source.store.put(other);
    const filteredBefore = connector.stats.filtered;

    expect(succeeded(await restHook(producer, { operation: 'create', resource: other }))).toBe(true);
    expect(succeeded(await restHook(producer, { operation: 'create', resource: matching }))).toBe(true);

    await waitFor(() => healthlake.current('Observation', 'obs-peter'), {
      timeoutMs: 30_000,
      message: "Peter's Observation in HealthLake",
    });
    await waitFor(() => connector.stats.filtered > filteredBefore, {
      timeoutMs: 30_000,
      message: "Ann's Observation filtered by the source's search",
    });
    expect(healthlake.current('Observation', 'obs-ann')).toBeUndefined();
    // The source decided each by a search for that one id with the chain, as HAPI's matcher falls back to.
    const searches = source.requests.filter(
      (request) => request.method === 'GET' && request.path === 'Observation',
    );
    expect(searches.map((request) => request.query)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('_id=obs-ann'),
        expect.stringContaining('_id=obs-peter'),
      ]),
    );
    expect(
      searches.every((request) => decodeURIComponent(request.query).includes('subject:Patient.name=peter')),
    ).toBe(true);

    const removed = await api(connector, 'DELETE', 'Subscription/chained');
    expect([200, 204]).toContain(removed.status);
  }, 90_000);

  it('a Subscription naming a local transform delivers what the JavaScript module returns', async () => {
    const created = await api(connector, 'PUT', 'Subscription/masked', {
      resourceType: 'Subscription',
      id: 'masked',
      status: 'requested',
      reason: 'Observations without their subject',
      criteria: 'Observation?status=final',
      extension: [{ url: CONNECTOR_EXTENSIONS.transform, valueString: 'mask' }],
      channel: { type: 'rest-hook', payload: 'application/fhir+json' },
    });
    expect(created.status).toBe(201);
    const filteredBefore = connector.stats.filtered;

    const kept = { ...observation('obs-masked', 'someone'), code: { text: 'keep' } };
    const dropped = { ...observation('obs-dropped', 'someone'), code: { text: 'drop' } };
    expect(succeeded(await restHook(producer, { operation: 'create', resource: dropped }))).toBe(true);
    expect(succeeded(await restHook(producer, { operation: 'create', resource: kept }))).toBe(true);

    const delivered = await waitFor(() => healthlake.current('Observation', 'obs-masked'), {
      timeoutMs: 30_000,
      message: 'the transformed Observation in HealthLake',
    });
    expect(delivered).toMatchObject({ note: [{ text: 'masked' }] });
    expect(delivered).not.toHaveProperty('subject');
    await waitFor(() => connector.stats.filtered > filteredBefore, {
      timeoutMs: 30_000,
      message: 'the Observation the transform dropped, counted filtered',
    });
    expect(healthlake.current('Observation', 'obs-dropped')).toBeUndefined();
  }, 90_000);
});
