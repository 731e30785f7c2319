import { describe, expect, it } from 'vitest';
import {
  readCurrent,
  readEventsPage,
  readHistoryPage,
  type PageContext,
} from '../../../shared/backfill/notificationPages.js';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { PermanentSourceError, TransientSourceError } from '../../../shared/fhirClient/errors.js';
import type { SourceReader } from '../../../shared/fhirClient/FhirClient.js';
import { backportFixture } from '../../helpers/backportNotifications.js';

// The pages of a notification job, read from a scripted source (no server): which resources a page
// names, how each is read, and when the job's history stream must still run.
const BASE = 'https://example.org/fhir/';
const ENCOUNTER = '86009987-eabe-42bf-8c02-b112b18cb616';
const PATIENT = '1599eb66-431a-447c-a3de-6897fe9ae9a1';

/** A source holding `held` (`Type/id` → resource), answering `pages` (URL → JSON) to getJson. */
const scriptedSource = (
  held: Record<string, FhirResource | Error>,
  pages: Record<string, unknown | Error> = {},
  options: { concurrency?: number; urlSupport?: boolean } = {},
) => {
  const reads: string[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const source: SourceReader = {
    resolveSearchUrl: (url) => `${BASE}${url}`,
    searchPage: async () => ({ resources: [] }),
    read: async (resourceType, id) => {
      reads.push(`${resourceType}/${id}`);
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      const found = held[`${resourceType}/${id}`];
      if (found instanceof Error) throw found;
      return found;
    },
    ...(options.urlSupport === false
      ? {}
      : {
          resolveUrl: (relative: string) => new URL(relative, BASE).href,
          getJson: async (url: string) => {
            const page = pages[url];
            if (page instanceof Error) throw page;
            return page;
          },
        }),
  };
  /** ingest's check, scripted: a resource with `invalid: true` fails it. */
  const check: PageContext['check'] = (value) => {
    const resource = value as FhirResource & { invalid?: boolean };
    return resource.invalid
      ? { ok: false, failedId: `${resource.resourceType}/${resource.id}` }
      : { ok: true, resource };
  };
  const context: PageContext = { source, check, concurrency: options.concurrency ?? 4 };
  return { context, reads, mostInFlight: () => mostInFlight };
};

const patient = (id: string, extra: Record<string, unknown> = {}): FhirResource =>
  ({ resourceType: 'Patient', id, ...extra }) as FhirResource;

describe('readCurrent', () => {
  it('reads each named resource once: present an upsert, gone a delete, failing the check an invalid id', async () => {
    const { context, reads } = scriptedSource({
      'Patient/a': patient('a'),
      'Patient/bad': patient('bad', { invalid: true }),
    });
    const page = await readCurrent(
      [
        { resourceType: 'Patient', id: 'a' },
        { resourceType: 'Patient', id: 'gone' },
        { resourceType: 'Patient', id: 'a' },
        { resourceType: 'Patient', id: 'bad' },
      ],
      context,
    );
    expect(reads.sort()).toEqual(['Patient/a', 'Patient/bad', 'Patient/gone']);
    expect(page).toEqual({
      upserts: [patient('a')],
      deletes: [{ resourceType: 'Patient', id: 'gone' }],
      failedIds: [{ key: 'Patient/bad', reason: 'invalid' }],
      read: 3,
    });
  });

  it('returns a read the source fails as unreadable, not read, and goes on with the others', async () => {
    const refused = new PermanentSourceError('HTTP 403', 403);
    const busy = new TransientSourceError('HTTP 503', 503);
    const { context } = scriptedSource({
      'Patient/a': patient('a'),
      'Patient/b': refused,
      'Patient/c': busy,
    });
    const page = await readCurrent(
      ['a', 'b', 'c'].map((id) => ({ resourceType: 'Patient', id })),
      context,
    );
    expect(page.upserts).toEqual([patient('a')]);
    expect(page.read).toBe(1);
    expect(page.unreadable).toEqual(
      expect.arrayContaining([
        { ref: { resourceType: 'Patient', id: 'b' }, error: refused },
        { ref: { resourceType: 'Patient', id: 'c' }, error: busy },
      ]),
    );
    expect(page.unreadable).toHaveLength(2);
  });

  it('lets an error that is no source error fail the page', async () => {
    const { context } = scriptedSource({ 'Patient/a': new TypeError('a bug') });
    await expect(readCurrent([{ resourceType: 'Patient', id: 'a' }], context)).rejects.toThrow('a bug');
  });

  it('reads at most `concurrency` at once, and all of them', async () => {
    const held = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`Patient/p${i}`, patient(`p${i}`)]));
    const { context, reads, mostInFlight } = scriptedSource(held, {}, { concurrency: 3 });
    const page = await readCurrent(
      Object.values(held).map((resource) => ({ resourceType: 'Patient', id: resource.id! })),
      context,
    );
    expect(reads).toHaveLength(9);
    expect(page.upserts).toHaveLength(9);
    expect(mostInFlight()).toBe(3);
  });
});

/** An `$events` answer naming `numbers`, each with the focus Encounter and the Patient as additional context. */
const eventsAnswer = (numbers: readonly number[], options: { additionalContext?: boolean } = {}) => {
  const bundle = backportFixture('multi-resource') as {
    entry: { resource: { parameter: { name: string; valueCode?: string; part?: { name: string }[] }[] } }[];
  };
  const parameters = bundle.entry[0]!.resource.parameter;
  const template = parameters.find((parameter) => parameter.name === 'notification-event')!;
  const others = parameters.filter((parameter) => parameter.name !== 'notification-event');
  for (const parameter of others) if (parameter.name === 'type') parameter.valueCode = 'query-event';
  bundle.entry = [bundle.entry[0]!];
  bundle.entry[0]!.resource.parameter = [
    ...others,
    ...numbers.map((n) => ({
      ...template,
      part: template
        .part!.filter((part) => options.additionalContext !== false || part.name !== 'additional-context')
        .map((part) =>
          part.name === 'event-number' ? { name: 'event-number', valueString: String(n) } : part,
        ),
    })),
  ];
  return bundle;
};

describe('readEventsPage', () => {
  const EVENTS = `${BASE}Subscription/admission/$events?eventsSinceNumber=5&eventsUntilNumber=7`;
  const held = {
    [`Encounter/${ENCOUNTER}`]: { resourceType: 'Encounter', id: ENCOUNTER } as FhirResource,
    [`Patient/${PATIENT}`]: patient(PATIENT),
  };

  it('reads the focus and the additional context of the events, and skips history when every missed number is there', async () => {
    const { context, reads } = scriptedSource(held, { [EVENTS]: eventsAnswer([5, 6, 7]) });
    const page = await readEventsPage(EVENTS, [{ from: 5, to: 7 }], context);
    expect(reads.sort()).toEqual([`Encounter/${ENCOUNTER}`, `Patient/${PATIENT}`]);
    expect(page.read).toBe(2);
    expect(page.standby).toBe('skip');
  });

  it('runs history when a number of any missed range is left out', async () => {
    const { context } = scriptedSource(held, { [EVENTS]: eventsAnswer([5, 7]) });
    expect((await readEventsPage(EVENTS, [{ from: 5, to: 7 }], context)).standby).toBe('run');
    const again = scriptedSource(held, { [EVENTS]: eventsAnswer([5, 6]) });
    const twoRanges = [
      { from: 5, to: 5 },
      { from: 7, to: 7 },
    ];
    expect((await readEventsPage(EVENTS, twoRanges, again.context)).standby).toBe('run');
    const both = scriptedSource(held, { [EVENTS]: eventsAnswer([5, 7]) });
    expect((await readEventsPage(EVENTS, twoRanges, both.context)).standby).toBe('skip');
  });

  it('reads only the focus when the events carry no additional context', async () => {
    const { context, reads } = scriptedSource(held, {
      [EVENTS]: eventsAnswer([5], { additionalContext: false }),
    });
    const page = await readEventsPage(EVENTS, [{ from: 5, to: 5 }], context);
    expect(reads).toEqual([`Encounter/${ENCOUNTER}`]);
    expect(page).toMatchObject({ read: 1, standby: 'skip' });
  });

  it('runs history, reading nothing, when the source has no $events, refuses it or answers no notification', async () => {
    const nothing = { upserts: [], deletes: [], failedIds: [], read: 0, standby: 'run' };
    for (const answer of [undefined, new PermanentSourceError('HTTP 400', 400), { resourceType: 'Bundle' }]) {
      const { context, reads } = scriptedSource(held, { [EVENTS]: answer });
      expect(await readEventsPage(EVENTS, [{ from: 5, to: 5 }], context)).toEqual(nothing);
      expect(reads).toEqual([]);
    }
  });

  it('lets a transient failure fail the page, to be retried', async () => {
    const { context } = scriptedSource(held, { [EVENTS]: new TransientSourceError('HTTP 503', 503) });
    await expect(readEventsPage(EVENTS, [{ from: 5, to: 5 }], context)).rejects.toBeInstanceOf(
      TransientSourceError,
    );
  });

  it('needs a source that can follow operation URLs', async () => {
    const { context } = scriptedSource(held, {}, { urlSupport: false });
    const refused = readEventsPage(EVENTS, [], context);
    await expect(refused).rejects.toBeInstanceOf(PermanentSourceError);
    await expect(refused).rejects.toThrow('The source reader cannot follow history or operation URLs');
  });
});

describe('readHistoryPage', () => {
  const HISTORY = `${BASE}Patient/_history?_since=2000-01-01T00%3A00%3A00Z`;
  const bundle = (entry: unknown, link?: unknown) => ({
    resourceType: 'Bundle',
    type: 'history',
    ...(entry === undefined ? {} : { entry }),
    ...(link === undefined ? {} : { link }),
  });

  it('reads what each entry names, from its resource, request.url or fullUrl, and follows the next link', async () => {
    const { context, reads } = scriptedSource(
      { 'Patient/a': patient('a'), 'Patient/b': patient('b'), 'Patient/c': patient('c') },
      {
        [HISTORY]: bundle(
          [
            { resource: patient('a', { meta: { versionId: '3' } }) },
            { request: { method: 'DELETE', url: 'Patient/gone' } },
            { fullUrl: `${BASE}Patient/b`, request: { method: 'PUT', url: 'not a reference' } },
            // A resource whose id is no string: the request URL names it instead.
            { resource: { resourceType: 'Patient', id: 7 }, request: { method: 'PUT', url: 'Patient/c' } },
          ],
          [
            { relation: 'self', url: 'ignored' },
            { relation: 'next', url: 'Patient/_history?page=2' },
          ],
        ),
      },
    );
    const page = await readHistoryPage(HISTORY, 'Patient', context);
    expect(reads.sort()).toEqual(['Patient/a', 'Patient/b', 'Patient/c', 'Patient/gone']);
    expect(page).toEqual({
      upserts: expect.arrayContaining([patient('a'), patient('b'), patient('c')]),
      deletes: [{ resourceType: 'Patient', id: 'gone' }],
      failedIds: [],
      read: 4,
      nextUrl: `${BASE}Patient/_history?page=2`,
    });
  });

  it('counts an entry naming another type, another origin or nothing as a failed id that quotes nothing', async () => {
    const { context, reads } = scriptedSource(
      { 'Patient/a': patient('a') },
      {
        [HISTORY]: bundle([
          { resource: { resourceType: 'Observation', id: 'o1' } },
          { fullUrl: 'https://elsewhere.example/fhir/Patient/x' },
          { resource: { resourceType: 'Patient' } },
          {},
          { resource: patient('a') },
        ]),
      },
    );
    const page = await readHistoryPage(HISTORY, 'Patient', context);
    expect(reads).toEqual(['Patient/a']);
    const placeholder = { key: '(Patient history entry naming no Patient)', reason: 'invalid' };
    expect(page.failedIds).toEqual([placeholder, placeholder, placeholder, placeholder]);
    expect(page.read).toBe(5);
    expect(page).not.toHaveProperty('nextUrl');
    expect(page).not.toHaveProperty('unreadable');
  });

  it('puts the failed ids of the entries before those of the reads, and passes unreadable reads on', async () => {
    const refused = new PermanentSourceError('HTTP 403', 403);
    const { context } = scriptedSource(
      { 'Patient/bad': patient('bad', { invalid: true }), 'Patient/locked': refused },
      { [HISTORY]: bundle([{ resource: patient('bad') }, { resource: patient('locked') }, {}]) },
    );
    const page = await readHistoryPage(HISTORY, 'Patient', context);
    expect(page.failedIds.map((failed) => failed.key)).toEqual([
      '(Patient history entry naming no Patient)',
      'Patient/bad',
    ]);
    expect(page.unreadable).toEqual([{ ref: { resourceType: 'Patient', id: 'locked' }, error: refused }]);
    expect(page.read).toBe(2);
  });

  it('takes a Bundle without entries as an empty page, and no next link when its URL is empty or absent', async () => {
    for (const link of [
      undefined,
      [{ relation: 'next', url: '' }],
      [{ relation: 'next' }],
      [{ relation: 'previous', url: 'x' }],
    ]) {
      const { context } = scriptedSource({}, { [HISTORY]: bundle(undefined, link) });
      expect(await readHistoryPage(HISTORY, 'Patient', context)).toEqual({
        upserts: [],
        deletes: [],
        failedIds: [],
        read: 0,
      });
    }
  });

  it('refuses a page that is gone or no Bundle, naming the type only', async () => {
    const cases: [unknown, string][] = [
      [undefined, 'Patient history answered 404/410'],
      [{ resourceType: 'OperationOutcome' }, 'Patient history did not answer a Bundle'],
      [
        { resourceType: 'Bundle', entry: { resource: patient('a') } },
        'Patient history did not answer a Bundle',
      ],
    ];
    for (const [answer, message] of cases) {
      const { context, reads } = scriptedSource({}, { [HISTORY]: answer });
      const refused = readHistoryPage(HISTORY, 'Patient', context);
      await expect(refused).rejects.toBeInstanceOf(PermanentSourceError);
      await expect(refused).rejects.toThrow(message);
      expect(reads).toEqual([]);
    }
  });

  it('needs a source that can follow history URLs', async () => {
    const { context } = scriptedSource({}, {}, { urlSupport: false });
    await expect(readHistoryPage(HISTORY, 'Patient', context)).rejects.toThrow(
      'The source reader cannot follow history or operation URLs',
    );
  });
});
