import { describe, expect, it } from 'vitest';
import { jsonShapeProblem } from '../../../shared/fhir/jsonDepth.js';
import { createAuthenticator } from '../../../shared/ingest/auth/createAuthenticator.js';
import { hashToken } from '../../../shared/ingest/auth/hashToken.js';
import { createIngestRouter } from '../../../shared/ingest/createIngestRouter.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { createIngestHttp } from '../../../shared/ingest/handleIngestHttp.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { FakeMatcher, RecordingQueue } from '../../helpers/ingestFakes.js';

/** A Patient whose `extension` nests `levels` arrays. */
const nestedPatient = (levels: number): string =>
  `{"resourceType":"Patient","id":"p1","extension":${'['.repeat(levels)}${']'.repeat(levels)}}`;

/** A Questionnaire with items nested `levels` deep: what real forms look like at their deepest. */
const deepQuestionnaire = (levels: number): unknown => {
  let item: Record<string, unknown> = { linkId: `q${levels}`, type: 'string', text: 'leaf' };
  for (let level = levels - 1; level > 0; level -= 1) {
    item = { linkId: `q${level}`, type: 'group', item: [item] };
  }
  return { resourceType: 'Questionnaire', id: 'deep', status: 'active', item: [item] };
};

const setup = (options: { validateResources: boolean; maxJsonDepth?: number }) => {
  const queue = new RecordingQueue();
  const ledger = new InMemoryVersionLedger();
  const http = createIngestHttp({
    route: createIngestRouter({
      pipeline: new DefaultWritePipeline({ ledger, matcher: new FakeMatcher(), queue }),
      limits: { validateResources: options.validateResources },
    }),
    authenticator: createAuthenticator({
      modes: ['bearer'],
      tokens: async () => [{ sha256: hashToken('t'), scope: 'write' }],
    }),
    ...(options.maxJsonDepth === undefined ? {} : { maxJsonDepth: options.maxJsonDepth }),
  });
  const put = (path: string, body: string) =>
    http({
      method: 'PUT',
      path,
      query: {},
      headers: { authorization: 'Bearer t', 'content-type': 'application/fhir+json' },
      body,
      baseUrl: 'https://x/fhir',
    });
  return { put, queue, ledger };
};

describe('Deeply nested JSON', () => {
  for (const validateResources of [true, false]) {
    it(`answers 20,000 levels with 400 and an OperationOutcome (validation ${validateResources ? 'on' : 'off'})`, async () => {
      const { put, queue, ledger } = setup({ validateResources });
      const response = await put('Patient/p1', nestedPatient(20_000));
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'invalid' }],
      });
      expect(JSON.stringify(response.body)).toContain('(configuration key ingest.maxJsonDepth)');
      expect(queue.messages).toHaveLength(0);
      expect(await ledger.getLatest(['Patient/p1'])).toEqual(new Map());
    });
  }

  it('accepts a Questionnaire with items nested 30 deep under the default limit', async () => {
    const { put, queue } = setup({ validateResources: true });
    const response = await put('Questionnaire/deep', JSON.stringify(deepQuestionnaire(30)));
    expect(response.status).toBe(200);
    expect(queue.messages).toHaveLength(1);
  });

  it('honours a configured limit', async () => {
    const { put } = setup({ validateResources: false, maxJsonDepth: 10 });
    expect((await put('Patient/p1', nestedPatient(10))).status).toBe(400); // 11 levels with the Patient
    expect((await put('Patient/p1', nestedPatient(9))).status).toBe(200);
  });

  it('counts depth without recursion, stopping early', () => {
    expect(jsonShapeProblem(JSON.parse(nestedPatient(200_000)), 100)).toEqual({ kind: 'too-deep' });
    expect(jsonShapeProblem({ a: [{ b: 1 }] }, 3)).toBeUndefined();
    expect(jsonShapeProblem({ a: [{ b: {} }] }, 3)).toEqual({ kind: 'too-deep' });
  });

  it('finds prototype-polluting keys at any depth', () => {
    expect(jsonShapeProblem(JSON.parse('{"a":[{"__proto__":{"x":1}}]}'), 100)).toEqual({
      kind: 'prototype-key',
      key: '__proto__',
    });
    expect(jsonShapeProblem({ a: { constructor: { prototype: {} } } }, 100)).toMatchObject({
      kind: 'prototype-key',
    });
  });
});
