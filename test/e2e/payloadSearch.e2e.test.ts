import type { Observation, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import type { FhirStandin } from '../../local/standins/healthlake/index.js';
import { SUBSCRIPTION_EXTENSIONS } from '../../shared/config/constants.js';
import { api, waitFor } from './e2eHelpers.js';

const patient: Patient & { id: string } = { resourceType: 'Patient', id: 'ps-patient', active: true };
const observation: Observation & { id: string } = {
  resourceType: 'Observation',
  id: 'ps-observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: 'Patient/ps-patient' },
};

/** Seed 001's example: an Observation delivered together with its `_include`d subject. */
const payloadSearchSubscription = {
  resourceType: 'Subscription',
  extension: [
    {
      url: SUBSCRIPTION_EXTENSIONS.payloadSearchCriteria,
      valueString: 'Observation?_id=${matched_resource_id}&_include=Observation:subject',
    },
  ],
  status: 'requested',
  reason: 'Observations with their subject',
  criteria: 'Observation?status=final',
  channel: { type: 'rest-hook', payload: 'application/fhir+json' },
};

describe('Local mode: payload search mode (HAPI subscription-payload-search-criteria)', () => {
  let connector: LocalConnector;
  let healthlake: FhirStandin;
  let source: FhirStandin;

  beforeAll(async () => {
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'silent',
      progress: 'off',
      autoSubscription: false,
      retryBaseSeconds: 0,
      retryMaxSeconds: 1,
    });
    healthlake = connector.healthlake!;
    source = connector.source!;
    // The system of record holds both; the producer tells the connector about the Observation only.
    source.store.put(patient);
    source.store.put(observation);
  }, 60_000);

  afterAll(async () => {
    await connector?.stop();
  });

  it('delivers a written Observation with its _included Patient in one transaction POST', async () => {
    const created = await api(connector, 'PUT', 'Subscription/payload-search', {
      ...payloadSearchSubscription,
      id: 'payload-search',
    });
    expect(created.status).toBe(201);
    expect((created.body as { status?: string }).status).toBe('active');

    const put = await api(connector, 'PUT', 'Observation/ps-observation', observation);
    expect([200, 201]).toContain(put.status);

    await waitFor(
      () =>
        healthlake.current('Observation', 'ps-observation') && healthlake.current('Patient', 'ps-patient'),
      { timeoutMs: 30_000, message: 'Observation and Patient in the HealthLake stand-in' },
    );
    expect(healthlake.current('Patient', 'ps-patient')).toMatchObject({ active: true });
    expect(healthlake.current('Observation', 'ps-observation')).toMatchObject({
      subject: { reference: 'Patient/ps-patient' },
    });
    const posts = healthlake.requests.filter((request) => request.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ path: '', bundleEntries: 2, status: 200 });
    // Only through the transaction: no single-resource writes.
    expect(healthlake.requests.filter((request) => request.method === 'PUT')).toHaveLength(0);
    // The search ran against the source with the matched id substituted and the include asked for.
    expect(
      source.requests.some(
        (request) =>
          request.method === 'GET' &&
          request.path === 'Observation' &&
          request.query.includes('_id=ps-observation') &&
          request.query.includes('_include=Observation'),
      ),
    ).toBe(true);
  });

  it('refuses payload search criteria that are not a relative search URL, without echoing them', async () => {
    const refused = await api(connector, 'POST', 'Subscription', {
      ...payloadSearchSubscription,
      extension: [
        {
          url: SUBSCRIPTION_EXTENSIONS.payloadSearchCriteria,
          valueString: 'https://evil.example/secret-value?x',
        },
      ],
    });
    expect(refused.status).toBe(400);
    const text = JSON.stringify(refused.body);
    expect(text).toContain('relative search URL');
    expect(text).not.toContain('secret-value');
  });
});
