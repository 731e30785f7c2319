import { describe, expect, it } from 'vitest';
import { handleInstanceWrite } from '../../../../shared/ingest/routes/handleInstanceWrite.js';
import type { WriteResult } from '../../../../shared/ingest/types.js';
import { fakeRouterContext, fhirRequest, patient } from '../../../helpers/ingestFakes.js';

const NOW = new Date('2025-03-01T12:00:00.000Z');

const setup = (result?: () => WriteResult, lost = false) =>
  fakeRouterContext({ now: NOW, ...(result ? { result } : {}), lost });

describe('Function: handleInstanceWrite', () => {
  it('sends a PUT to the pipeline as an ingest upsert of the URL id', async () => {
    const env = setup();
    const response = await handleInstanceWrite(
      fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient() }),
      env.context,
      { resourceType: 'Patient', id: 'p1' },
    );
    expect(response.status).toBe(200);
    expect(env.writes).toStrictEqual([
      {
        operation: 'upsert',
        resourceType: 'Patient',
        id: 'p1',
        resource: patient(),
        source: 'ingest',
        requestId: 'req-1',
      },
    ]);
  });

  it('sends a DELETE as an ingest delete and answers 200, not 201, when nothing matched it', async () => {
    const env = setup(() => ({
      status: 'recorded',
      versionId: '2',
      lastUpdated: NOW.toISOString(),
      matched: 0,
      enqueued: 0,
    }));
    const response = await handleInstanceWrite(
      fhirRequest({ method: 'DELETE', path: 'Patient/p1' }),
      env.context,
      {
        resourceType: 'Patient',
        id: 'p1',
      },
    );
    expect(env.writes).toStrictEqual([
      { operation: 'delete', resourceType: 'Patient', id: 'p1', source: 'ingest', requestId: 'req-1' },
    ]);
    expect(response.status).toBe(200);
    expect(response.headers).not.toHaveProperty('location');
  });

  it('refuses a bad body with its outcome and counts the rejection', async () => {
    const env = setup();
    const response = await handleInstanceWrite(
      fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient({ id: 'p2' }) }),
      env.context,
      { resourceType: 'Patient', id: 'p1' },
    );
    expect(response).toStrictEqual({
      status: 400,
      headers: { 'content-type': 'application/fhir+json; charset=utf-8' },
      body: {
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'error',
            code: 'invalid',
            diagnostics: 'Resource id does not match the id in the URL',
            expression: ['Patient.id'],
          },
        ],
      },
    });
    expect(env.observed.rejected).toBe(1);
    expect(env.writes).toEqual([]);
  });

  it('refuses a future meta.lastUpdated with 422', async () => {
    const env = setup();
    const lastUpdated = new Date(NOW.getTime() + 301_000).toISOString();
    const response = await handleInstanceWrite(
      fhirRequest({ method: 'POST', path: 'Patient', body: patient({ meta: { lastUpdated } }) }),
      env.context,
      { resourceType: 'Patient' },
    );
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ issue: [{ code: 'business-rule' }] });
    expect(env.observed.rejected).toBe(1);
  });

  it('names the version sent in a stale answer, when the body carried one', async () => {
    const stale = () =>
      ({ status: 'stale', versionId: '5', lastUpdated: NOW.toISOString(), matched: 0, enqueued: 0 }) as const;
    const env = setup(stale);
    const diagnosticsOf = async (body: unknown) => {
      const response = await handleInstanceWrite(
        fhirRequest({ method: 'PUT', path: 'Patient/p1', body }),
        env.context,
        { resourceType: 'Patient', id: 'p1' },
      );
      return (response.body as { issue: { diagnostics: string }[] }).issue[0]?.diagnostics;
    };
    expect(await diagnosticsOf(patient({ meta: { versionId: '4' } }))).toMatch(
      /^Stale version 4 of Patient\/p1:/,
    );
    expect(await diagnosticsOf(patient())).toMatch(/^Stale version of Patient\/p1:/);
  });

  it('fails loudly when the pipeline answers no result', async () => {
    const env = setup(undefined, true);
    await expect(
      handleInstanceWrite(fhirRequest({ method: 'PUT', path: 'Patient/p1', body: patient() }), env.context, {
        resourceType: 'Patient',
        id: 'p1',
      }),
    ).rejects.toThrow('The pipeline returned no result');
    await expect(
      handleInstanceWrite(fhirRequest({ method: 'DELETE', path: 'Patient/p1' }), env.context, {
        resourceType: 'Patient',
        id: 'p1',
      }),
    ).rejects.toThrow('The pipeline returned no result');
  });
});
