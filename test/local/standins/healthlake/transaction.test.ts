import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startFhirSourceStandin,
  startHealthLakeStandin,
  type FhirStandin,
} from '../../../../local/standins/healthlake/index.js';
import { MAX_BUNDLE_ENTRIES } from '../../../../local/standins/healthlake/fhirRoutes.js';
import { HealthLakeClient } from '../../../../shared/healthlake/HealthLakeClient.js';
import { transactionBundle } from '../../../../shared/payloadSearch/transactionBundle.js';

const patient = (id: string) => ({ resourceType: 'Patient', id, active: true });

describe('HealthLake stand-in: transaction Bundles POSTed to the data store base', () => {
  let healthlake: FhirStandin;
  let client: HealthLakeClient;

  beforeAll(async () => {
    healthlake = await startHealthLakeStandin({ notSupportedTypes: ['Basic'] });
    client = new HealthLakeClient({
      endpoint: healthlake.endpoint,
      region: healthlake.region,
      credentials: async () => healthlake.baseCredentials,
    });
  });
  afterAll(async () => {
    client?.destroy();
    await healthlake?.stop();
  });

  it('applies every entry of a signed transaction (HealthLakeClient.transaction) and answers a transaction-response', async () => {
    const observation = {
      resourceType: 'Observation',
      id: 'tx-o1',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'Patient/tx-p1' },
    };
    const response = await client.transaction(
      JSON.stringify(transactionBundle([observation, patient('tx-p1')])),
    );
    expect(response.status).toBe(200);
    expect(healthlake.current('Observation', 'tx-o1')).toMatchObject({
      subject: { reference: 'Patient/tx-p1' },
    });
    expect(healthlake.current('Patient', 'tx-p1')).toMatchObject({ active: true });
    expect(healthlake.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '',
      bundleEntries: 2,
      status: 200,
    });
  });

  it(`refuses a Bundle of more than ${MAX_BUNDLE_ENTRIES} entries with 400, as HealthLake does, and applies none`, async () => {
    const many = Array.from({ length: MAX_BUNDLE_ENTRIES + 1 }, (_, index) => patient(`big-${index}`));
    const response = await client.transaction(JSON.stringify(transactionBundle(many)));
    expect(response.status).toBe(400);
    expect(response.outcome?.issue?.[0]?.diagnostics).toContain(`at most ${MAX_BUNDLE_ENTRIES}`);
    expect(healthlake.current('Patient', 'big-0')).toBeUndefined();
    const exact = many.slice(0, MAX_BUNDLE_ENTRIES);
    expect((await client.transaction(JSON.stringify(transactionBundle(exact)))).status).toBe(200);
  });

  it('answers not-supported for an unsupported type and applies none of the entries', async () => {
    const response = await client.transaction(
      JSON.stringify(
        transactionBundle([patient('ns-p1'), { resourceType: 'Basic', id: 'b1', code: { text: 'x' } }]),
      ),
    );
    expect(response.status).toBe(400);
    expect(response.outcome?.issue?.[0]?.code).toBe('not-supported');
    expect(healthlake.current('Patient', 'ns-p1')).toBeUndefined();
  });

  it('refuses an unsigned POST and a batch or non-Bundle body', async () => {
    const unsigned = await fetch(healthlake.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(transactionBundle([patient('u1')])),
    });
    expect(unsigned.status).toBe(403);
    const batch = await client.transaction(
      JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [] }),
    );
    expect(batch.status).toBe(400);
    const notBundle = await client.transaction(JSON.stringify(patient('x')));
    expect(notBundle.status).toBe(400);
    expect((notBundle.outcome as OperationOutcome).issue?.[0]?.diagnostics).toContain('must be a Bundle');
  });
});

describe('Source stand-in: _include', () => {
  let source: FhirStandin;

  beforeAll(async () => {
    source = await startFhirSourceStandin();
    source.store.put({ resourceType: 'Patient', id: 'p1', active: true });
    source.store.put({ resourceType: 'Organization', id: 'org1', name: 'Clinic' });
    source.store.put({
      resourceType: 'Observation',
      id: 'o1',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'Patient/p1' },
      performer: [{ reference: 'Organization/org1' }],
    });
  });
  afterAll(async () => source?.stop());

  const search = async (query: string) => {
    const response = await fetch(`${source.endpoint}Observation?${query}`);
    return { status: response.status, bundle: (await response.json()) as Bundle };
  };
  const entries = (bundle: Bundle) =>
    (bundle.entry ?? []).map(
      (entry) => `${entry.search?.mode}:${entry.resource?.resourceType}/${entry.resource?.id}`,
    );

  it('adds the resources a reference parameter points at as include entries', async () => {
    const { status, bundle } = await search('_id=o1&_include=Observation:subject');
    expect(status).toBe(200);
    expect(entries(bundle)).toEqual(['match:Observation/o1', 'include:Patient/p1']);
  });

  it('adds every referenced resource for _include=*, and honours a target type', async () => {
    expect(entries((await search('_id=o1&_include=*')).bundle)).toEqual([
      'match:Observation/o1',
      'include:Patient/p1',
      'include:Organization/org1',
    ]);
    expect(entries((await search('_id=o1&_include=Observation:performer:Patient')).bundle)).toEqual([
      'match:Observation/o1',
    ]);
  });

  it('refuses an _include it cannot evaluate (not a reference parameter, :iterate) with 400', async () => {
    expect((await search('_id=o1&_include=Observation:status')).status).toBe(400);
    expect((await search('_id=o1&_include:iterate=Observation:subject')).status).toBe(400);
  });
});
