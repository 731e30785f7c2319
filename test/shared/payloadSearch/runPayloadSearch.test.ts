import type { Observation } from '@medplum/fhirtypes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFhirSourceStandin, type FhirStandin } from '../../../local/standins/healthlake/index.js';
import { FhirClient } from '../../../shared/fhirClient/FhirClient.js';
import { PayloadSearchError } from '../../../shared/payloadSearch/errors.js';
import { runPayloadSearch } from '../../../shared/payloadSearch/runPayloadSearch.js';

const CRITERIA = 'Observation?_id=${matched_resource_id}&_include=Observation:subject';

const observation = (id: string, subject = 'Patient/p1'): Observation & { id: string } => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: subject },
});

describe('Function: runPayloadSearch (against the source stand-in)', () => {
  let source: FhirStandin;
  let client: FhirClient;

  beforeAll(async () => {
    source = await startFhirSourceStandin();
    source.store.put({ resourceType: 'Patient', id: 'p1', active: true });
    source.store.put(observation('o1'));
    // 170 Observations of one subject: a search for them all exceeds a Bundle's 160 entries.
    for (let index = 0; index < 170; index += 1) source.store.put(observation(`many-${index}`, 'Patient/p2'));
    source.store.put({ resourceType: 'Patient', id: 'p2', active: true });
    client = new FhirClient({
      baseUrl: source.endpoint,
      requestsPerSecond: 0,
      pageSize: 20,
      retry: { maxAttempts: 1 },
    });
  });

  afterEach(() => source.faults.reset());
  afterAll(async () => source?.stop());

  it('returns the matched resource with its _included subject, substituting ${matched_resource_id}', async () => {
    const resources = await runPayloadSearch(CRITERIA, 'Observation', 'o1', client);
    expect(resources.map((resource) => `${resource.resourceType}/${resource.id}`)).toEqual([
      'Observation/o1',
      'Patient/p1',
    ]);
  });

  it('follows next links and lists each resource once (the included subject of every page)', async () => {
    const resources = await runPayloadSearch(
      'Observation?subject=${matched_resource_id}&_include=Observation:subject',
      'Patient',
      'p2',
      client,
      { maxEntries: 200 },
    );
    expect(resources).toHaveLength(171);
    expect(resources.filter((resource) => resource.resourceType === 'Patient')).toHaveLength(1);
    // 20 per page: the search was paged.
    expect(source.requests.filter((request) => request.query.includes('_cursor=')).length).toBeGreaterThan(1);
  });

  it('refuses (terminally) results above 160, the most one HealthLake Bundle holds', async () => {
    const error = await runPayloadSearch(
      'Observation?subject=${matched_resource_id}',
      'Patient',
      'p2',
      client,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PayloadSearchError);
    expect(error).toMatchObject({ kind: 'terminal' });
    expect((error as Error).message).toContain('more than 160 resources');
  });

  it('is transient when the source answers 5xx, and terminal (with the status) when it answers 4xx', async () => {
    source.faults.failNext({ method: 'GET', resourceType: 'Observation' }, 'server-error');
    await expect(runPayloadSearch(CRITERIA, 'Observation', 'o1', client)).rejects.toMatchObject({
      name: 'PayloadSearchError',
      kind: 'transient',
      status: 500,
    });
    // The stand-in refuses parameters it does not know with 400, as a strict server would.
    await expect(
      runPayloadSearch('Observation?no-such-parameter=${matched_resource_id}', 'Observation', 'o1', client),
    ).rejects.toMatchObject({ name: 'PayloadSearchError', kind: 'terminal', status: 400 });
  });

  it('is transient when the search finds nothing yet, and when the time is up', async () => {
    await expect(runPayloadSearch(CRITERIA, 'Observation', 'not-there', client)).rejects.toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('found nothing'),
    });
    await expect(
      runPayloadSearch(CRITERIA, 'Observation', 'o1', client, { deadline: 0, now: () => 1 }),
    ).rejects.toMatchObject({ kind: 'transient', message: expect.stringContaining('ran out of time') });
  });

  it('never puts the search or resource values into its error messages', async () => {
    const error = (await runPayloadSearch(
      'Observation?code=SECRET-VALUE-123&bogus=${matched_resource_id}',
      'Observation',
      'o1',
      client,
    ).catch((caught: unknown) => caught)) as Error;
    expect(error.message).not.toContain('SECRET-VALUE-123');
    expect(error.message).not.toContain('bogus');
  });
});
