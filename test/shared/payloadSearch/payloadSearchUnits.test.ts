import { describe, expect, it } from 'vitest';
import type { FhirResource } from '../../../shared/fhir/types.js';
import {
  PermanentSourceError,
  SourceConfigurationError,
  TransientSourceError,
} from '../../../shared/fhirClient/errors.js';
import type { SearchPage, SearchPageOptions, SourceReader } from '../../../shared/fhirClient/FhirClient.js';
import { checkPayloadSearchCriteria } from '../../../shared/payloadSearch/checkPayloadSearchCriteria.js';
import { PayloadSearchError } from '../../../shared/payloadSearch/errors.js';
import { runPayloadSearch } from '../../../shared/payloadSearch/runPayloadSearch.js';
import { substituteMatchedResource } from '../../../shared/payloadSearch/substituteMatchedResource.js';
import { transactionBundle } from '../../../shared/payloadSearch/transactionBundle.js';

/** A source whose pages are given: page `n` is read at `page:n`; records each call. */
const pagedSource = (pages: (SearchPage | Error)[]) => {
  const calls: { url: string; options?: SearchPageOptions }[] = [];
  const source: SourceReader = {
    resolveSearchUrl: (searchUrl) => `https://src.test/fhir/${searchUrl}`,
    searchPage: async (url, options) => {
      calls.push({ url, ...(options === undefined ? {} : { options }) });
      const index = url.startsWith('page:') ? Number(url.slice(5)) : 0;
      const page = pages[index];
      if (page instanceof Error) throw page;
      if (!page) throw new Error(`no page ${index}`);
      return page;
    },
    read: async () => undefined,
  };
  return { source, calls };
};

const patient = (id: string): FhirResource => ({ resourceType: 'Patient', id });

const failure = async (promise: Promise<unknown>): Promise<PayloadSearchError> => {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(caught instanceof PayloadSearchError))
    throw new Error(`expected a PayloadSearchError, got ${String(caught)}`);
  return caught;
};

describe('Function: runPayloadSearch (in-memory source)', () => {
  it('resolves the substituted search, reads every page with includes, and keeps each resource once', async () => {
    const { source, calls } = pagedSource([
      { resources: [patient('a'), patient('b')], nextUrl: 'page:1' },
      { resources: [patient('b'), patient('c')] },
    ]);
    const found = await runPayloadSearch('Patient?_id=${matched_resource_id}', 'Patient', 'a', source);
    expect(found.map((resource) => resource.id)).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual([
      { url: 'https://src.test/fhir/Patient?_id=a', options: { includes: true } },
      { url: 'page:1', options: { includes: true } },
    ]);
  });

  it('accepts exactly maxEntries resources and refuses one more, terminally', async () => {
    const two = pagedSource([{ resources: [patient('a'), patient('b')] }]);
    await expect(
      runPayloadSearch('Patient?', 'Patient', 'a', two.source, { maxEntries: 2 }),
    ).resolves.toHaveLength(2);
    const three = pagedSource([{ resources: [patient('a'), patient('b'), patient('c')] }]);
    const error = await failure(
      runPayloadSearch('Patient?', 'Patient', 'a', three.source, { maxEntries: 2 }),
    );
    expect(error.kind).toBe('terminal');
    expect(error.message).toBe(
      "Payload search returned more than 2 resources, the most one HealthLake Bundle holds (healthLake.maxBundleEntries); narrow the Subscription's payload search criteria",
    );
  });

  it('refuses, terminally, a result without a valid type or id', async () => {
    for (const bad of [
      { resourceType: 'Patient' },
      { resourceType: 'Patient', id: 'a b' },
      { resourceType: 'patient', id: 'a' },
      { resourceType: 7, id: 'a' },
      // Not a string, though it reads as one.
      { resourceType: ['Patient'], id: 'a' },
    ]) {
      const { source } = pagedSource([{ resources: [patient('a'), bad as FhirResource] }]);
      const error = await failure(runPayloadSearch('Patient?', 'Patient', 'a', source));
      expect(error).toMatchObject({
        kind: 'terminal',
        message: 'Payload search returned a resource without a valid type and id',
      });
    }
  });

  it('passes the time left to each page and stops before a page once the deadline is reached', async () => {
    let clock = 1_000;
    const { source, calls } = pagedSource([
      { resources: [patient('a')], nextUrl: 'page:1' },
      { resources: [patient('b')] },
    ]);
    const wrapped: SourceReader = {
      ...source,
      searchPage: async (url, options) => {
        const page = await source.searchPage(url, options);
        clock += 400;
        return page;
      },
    };
    expect(
      (await runPayloadSearch('Patient?', 'Patient', 'a', wrapped, { deadline: 2_000, now: () => clock }))
        .length,
    ).toBe(2);
    expect(calls.map((call) => call.options?.timeoutMs)).toEqual([1_000, 600]);
    clock = 1_000;
    const error = await failure(
      runPayloadSearch('Patient?', 'Patient', 'a', wrapped, { deadline: 1_400, now: () => clock }),
    );
    expect(error).toMatchObject({
      kind: 'transient',
      message: 'Payload search stopped: the invocation ran out of time',
    });
  });

  it('maps source failures: permanent ones terminal with their status, transient and configuration ones transient', async () => {
    const permanent = new PermanentSourceError('source answered 403', 403);
    const refused = await failure(
      runPayloadSearch('Patient?', 'Patient', 'a', pagedSource([permanent]).source),
    );
    expect(refused).toMatchObject({
      kind: 'terminal',
      status: 403,
      message: 'Payload search failed: source answered 403',
    });
    expect(refused.cause).toBe(permanent);

    const busy = await failure(
      runPayloadSearch(
        'Patient?',
        'Patient',
        'a',
        pagedSource([new TransientSourceError('source answered 503', 503)]).source,
      ),
    );
    expect(busy).toMatchObject({
      kind: 'transient',
      status: 503,
      message: 'Payload search failed: source answered 503',
    });
    expect(busy.cause).toBeInstanceOf(TransientSourceError);

    const misconfigured = await failure(
      runPayloadSearch(
        'Patient?',
        'Patient',
        'a',
        pagedSource([new SourceConfigurationError('no secret')]).source,
      ),
    );
    expect(misconfigured).toMatchObject({ kind: 'transient', message: 'Payload search failed: no secret' });
    expect(misconfigured.status).toBeUndefined();
  });

  it('lets an unexpected error through unchanged', async () => {
    const bug = new TypeError('bug');
    await expect(runPayloadSearch('Patient?', 'Patient', 'a', pagedSource([bug]).source)).rejects.toBe(bug);
  });

  it('is transient when the search finds nothing', async () => {
    const error = await failure(
      runPayloadSearch('Patient?', 'Patient', 'a', pagedSource([{ resources: [] }]).source),
    );
    expect(error).toMatchObject({
      kind: 'transient',
      message: 'Payload search found nothing; the source may not yet have made the write searchable',
    });
  });
});

describe('Function: checkPayloadSearchCriteria (edges)', () => {
  it('accepts criteria of exactly 2048 characters and empty query parts', () => {
    const criteria = `Observation?code=${'x'.repeat(2048 - 'Observation?code='.length)}`;
    expect(criteria).toHaveLength(2048);
    expect(checkPayloadSearchCriteria(criteria)).toEqual({ usesMatchedResourceId: false });
    expect(checkPayloadSearchCriteria('Observation?&&status=final&').problem).toBeUndefined();
  });

  it('checks names and values apart: a refused name with a modifier, a bare name, a malformed value', () => {
    expect(checkPayloadSearchCriteria('Observation?_summary:x=true').problem).toContain('_summary');
    expect(checkPayloadSearchCriteria('Observation?_contained').problem).toBe(
      'must not use _summary, _elements, _format, _contained: partial resources would replace complete ones in HealthLake',
    );
    expect(checkPayloadSearchCriteria('Observation?_format=json').problem).toContain('_format');
    expect(checkPayloadSearchCriteria('Observation?code=%E0%A4%A').problem).toBe(
      'has malformed percent-encoding',
    );
    expect(checkPayloadSearchCriteria('Observation?%zz=1').problem).toBe('has malformed percent-encoding');
    expect(checkPayloadSearchCriteria('Observation?=%zz').problem).toBe('has malformed percent-encoding');
    // The substitution stands for a non-empty id: this name is not _format once substituted.
    expect(checkPayloadSearchCriteria('Observation?_format${matched_resource_id}=x').problem).toBeUndefined();
    // A value may hold what a name may not.
    expect(checkPayloadSearchCriteria('Observation?code=_summary').problem).toBeUndefined();
    expect(checkPayloadSearchCriteria('Observation?%5Felements=id').problem).toContain('_elements');
  });

  it('reports the substitution even when it refuses the criteria', () => {
    expect(checkPayloadSearchCriteria('Observation?_id=${matched_resource_id}#x')).toEqual({
      problem: 'must not contain a fragment (#)',
      usesMatchedResourceId: true,
    });
    expect(checkPayloadSearchCriteria('Observation?_id=${matched_resource_id}&x=${other}')).toEqual({
      problem: 'may only use the substitution ${matched_resource_id}',
      usesMatchedResourceId: true,
    });
  });

  it('tells a missing ? from a bad type', () => {
    expect(checkPayloadSearchCriteria('Observation').problem).toBe(
      'must be a relative search URL of the form Type?parameters',
    );
    expect(checkPayloadSearchCriteria('?_id=1').problem).toBe(
      'must start with an R4 resource type and ? (a relative search URL, without base URL)',
    );
    expect(checkPayloadSearchCriteria('Observation?a=1\tb').problem).toBe('must not contain whitespace');
    expect(checkPayloadSearchCriteria(`Observation?${'x'.repeat(2040)}`).problem).toBe(
      'must be at most 2048 characters',
    );
  });
});

describe('Function: substituteMatchedResource (edges)', () => {
  it('substitutes in a bare parameter and in a name, and only the bare id in _id with a modifier', () => {
    expect(substituteMatchedResource('Observation?${matched_resource_id}', 'Patient', '1')).toBe(
      'Observation?Patient/1',
    );
    expect(
      substituteMatchedResource('Observation?x${matched_resource_id}=${matched_resource_id}', 'Patient', '1'),
    ).toBe('Observation?xPatient/1=Patient/1');
    expect(
      substituteMatchedResource('Observation?_id:exact=${matched_resource_id}', 'Observation', '3'),
    ).toBe('Observation?_id:exact=3');
    expect(substituteMatchedResource('Observation?x_id=${matched_resource_id}', 'Observation', '3')).toBe(
      'Observation?x_id=Observation/3',
    );
  });
});

describe('Function: transactionBundle', () => {
  it('writes each resource with PUT Type/id and its relative fullUrl', () => {
    const observation = { resourceType: 'Observation', id: '1' };
    expect(transactionBundle([observation, { resourceType: 'Patient', id: '2' }])).toEqual({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'Observation/1', resource: observation, request: { method: 'PUT', url: 'Observation/1' } },
        {
          fullUrl: 'Patient/2',
          resource: { resourceType: 'Patient', id: '2' },
          request: { method: 'PUT', url: 'Patient/2' },
        },
      ],
    });
  });
});
