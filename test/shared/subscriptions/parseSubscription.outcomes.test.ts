import type { OperationOutcomeIssue, Subscription } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { invalidOutcome, issue, OperationOutcomeError } from '../../../shared/fhir/outcomes.js';
import {
  HEADER_DROPPED_WARNING,
  parseSubscription,
  withoutHeaders,
  type ParseSubscriptionContext,
} from '../../../shared/subscriptions/parseSubscription.js';
import {
  channelExtension,
  CREATE_CONTEXT,
  DATASTORE_A,
  makeSubscription,
  otherWarnings,
  rejectionOf,
} from '../../helpers/subscriptions.js';

// The exact answer for each problem: code, wording and `expression`, and nothing else. Values that
// could be PHI or secrets are marked SECRET so a diagnostic that quoted them would show.

const create = CREATE_CONTEXT;
const update: ParseSubscriptionContext = { ...create, interaction: 'update', id: 'sub-1' };

/** Every issue of the 400 a rejected submission throws. */
const issuesOf = (input: unknown, context: ParseSubscriptionContext = create): OperationOutcomeIssue[] => {
  const outcome = rejectionOf(input, context);
  expect(outcome.id).toBe('400');
  return outcome.issue ?? [];
};

const error = (code: OperationOutcomeIssue['code'], diagnostics: string, expression: string) =>
  issue(code, diagnostics, expression);
const warning = (code: OperationOutcomeIssue['code'], diagnostics: string, expression: string) =>
  issue(code, diagnostics, expression, 'warning');

/** A submission with `root` merged over a valid Subscription (values of any type). */
const withRoot = (root: Record<string, unknown>): Record<string, unknown> => ({
  ...makeSubscription(),
  ...root,
});
/** A submission whose channel has `channel` merged in; an undefined value removes the element. */
const withChannel = (channel: Record<string, unknown>): Record<string, unknown> => {
  const merged: Record<string, unknown> = { ...makeSubscription().channel, ...channel };
  for (const [key, value] of Object.entries(channel)) if (value === undefined) delete merged[key];
  return { ...makeSubscription(), channel: merged };
};
const without = (key: keyof Subscription): Record<string, unknown> => {
  const { [key]: _dropped, ...rest } = makeSubscription();
  return rest;
};

const MODIFIER = [{ url: 'http://example.org/fhir/StructureDefinition/only-if', valueBoolean: true }];
const NOT_ALLOWED =
  'Subscription.channel.endpoint is not a HealthLake data store endpoint this connector may send to (see ALLOWED_HEALTHLAKE_ENDPOINTS)';

describe('Function: parseSubscription answers', () => {
  it.each<[string, unknown, OperationOutcomeIssue[], ParseSubscriptionContext?]>([
    [
      'a body that is not a Subscription',
      { resourceType: 'Patient', id: 'SECRET' },
      [error('invalid', 'The body must be a Subscription resource', 'Subscription')],
    ],
    [
      'an element R4 does not define',
      withRoot({ topic: 'SECRET' }),
      [error('structure', 'Subscription.topic is not an element of Subscription', 'Subscription.topic')],
    ],
    [
      'a primitive extension container of a complex element',
      withRoot({ _channel: {} }),
      [
        error(
          'structure',
          'Subscription._channel is not an element of Subscription',
          'Subscription._channel',
        ),
      ],
    ],
    [
      'an element R4 does not define on the channel',
      withChannel({ retries: 3 }),
      [
        error(
          'structure',
          'Subscription.channel.retries is not an element of Subscription.channel',
          'Subscription.channel.retries',
        ),
      ],
    ],
    [
      'a modifier extension',
      withRoot({ modifierExtension: MODIFIER }),
      [
        error(
          'not-supported',
          'Subscription.modifierExtension: modifier extensions are not supported',
          'Subscription.modifierExtension',
        ),
      ],
    ],
    [
      'a modifier extension that is not even an array',
      withChannel({ modifierExtension: MODIFIER[0] }),
      [
        error(
          'not-supported',
          'Subscription.channel.modifierExtension: modifier extensions are not supported',
          'Subscription.channel.modifierExtension',
        ),
      ],
    ],
    [
      'implicitRules',
      withRoot({ implicitRules: 'http://example.org/SECRET' }),
      [error('not-supported', 'Subscription.implicitRules is not supported', 'Subscription.implicitRules')],
    ],
    [
      'an update without an id',
      makeSubscription(),
      [error('required', 'Subscription.id is required on update', 'Subscription.id')],
      update,
    ],
    [
      'an update whose id is not the URL id',
      withRoot({ id: 'SECRET' }),
      [error('invalid', 'Subscription.id must equal the id in the URL', 'Subscription.id')],
      update,
    ],
    [
      'meta that is not an object',
      withRoot({ meta: 'SECRET' }),
      [error('invalid', 'Subscription.meta must be an object', 'Subscription.meta')],
    ],
    [
      'meta that is an array',
      withRoot({ meta: [{ versionId: '1' }] }),
      [error('invalid', 'Subscription.meta must be an object', 'Subscription.meta')],
    ],
    [
      'a language that is not a string',
      withRoot({ language: 7 }),
      [error('invalid', 'Subscription.language must be a non-empty string', 'Subscription.language')],
    ],
    [
      'text that is not an object',
      withRoot({ text: 'SECRET' }),
      [error('invalid', 'Subscription.text must be an object', 'Subscription.text')],
    ],
    [
      'contained that is not an array',
      withRoot({ contained: { resourceType: 'Patient' } }),
      [error('invalid', 'Subscription.contained must be an array of objects', 'Subscription.contained')],
    ],
    [
      'contact with one entry that is not an object',
      withRoot({ contact: [{ system: 'email' }, 'SECRET'] }),
      [error('invalid', 'Subscription.contact must be an array of objects', 'Subscription.contact')],
    ],
    [
      'contact holding an array',
      withRoot({ contact: [[{ system: 'email' }]] }),
      [error('invalid', 'Subscription.contact must be an array of objects', 'Subscription.contact')],
    ],
    [
      'a blank reason',
      withRoot({ reason: ' ' }),
      [error('invalid', 'Subscription.reason must be a non-empty string', 'Subscription.reason')],
    ],
    [
      'an error that is not a string',
      withRoot({ error: { text: 'SECRET' } }),
      [error('invalid', 'Subscription.error must be a string', 'Subscription.error')],
    ],
    [
      'an end that is not an instant',
      withRoot({ end: 'SECRET' }),
      [error('invalid', 'Subscription.end must be a FHIR instant (date, time and zone)', 'Subscription.end')],
    ],
    [
      'an end that is an array holding an instant',
      withRoot({ end: ['2026-06-02T00:00:00Z'] }),
      [error('invalid', 'Subscription.end must be a FHIR instant (date, time and zone)', 'Subscription.end')],
    ],
    [
      'a missing status',
      without('status'),
      [error('required', 'Subscription.status is required (requested or off)', 'Subscription.status')],
    ],
    [
      'an unknown status',
      withRoot({ status: 'SECRET' }),
      [
        error(
          'code-invalid',
          'Subscription.status must be requested, active, error or off',
          'Subscription.status',
        ),
      ],
    ],
    [
      'a status that is not a string',
      withRoot({ status: ['requested'] }),
      [
        error(
          'code-invalid',
          'Subscription.status must be requested, active, error or off',
          'Subscription.status',
        ),
      ],
    ],
    [
      'a client-set active status',
      withRoot({ status: 'active' }),
      [
        error(
          'business-rule',
          'Subscription.status must be requested or off; active and error are set by the server',
          'Subscription.status',
        ),
      ],
    ],
    [
      'a missing channel',
      without('channel'),
      [error('required', 'Subscription.channel is required', 'Subscription.channel')],
    ],
    [
      'a channel that is a string',
      withRoot({ channel: 'rest-hook' }),
      [error('invalid', 'Subscription.channel must be an object', 'Subscription.channel')],
    ],
    [
      'a channel that is an array',
      withRoot({ channel: [makeSubscription().channel] }),
      [error('invalid', 'Subscription.channel must be an object', 'Subscription.channel')],
    ],
    [
      'a missing channel type (and only that)',
      withChannel({ type: undefined }),
      [error('required', 'Subscription.channel.type is required', 'Subscription.channel.type')],
    ],
    [
      'a channel type that is not a string',
      withChannel({ type: 1 }),
      [error('invalid', 'Subscription.channel.type must be a non-empty string', 'Subscription.channel.type')],
    ],
    [
      'a FHIR channel type other than rest-hook',
      withChannel({ type: 'websocket' }),
      [error('not-supported', 'Subscription.channel.type must be rest-hook', 'Subscription.channel.type')],
    ],
    [
      'an unknown channel type',
      withChannel({ type: 'SECRET' }),
      [error('code-invalid', 'Subscription.channel.type must be rest-hook', 'Subscription.channel.type')],
    ],
    [
      'a missing endpoint (and only that)',
      withChannel({ endpoint: undefined }),
      [error('required', 'Subscription.channel.endpoint is required', 'Subscription.channel.endpoint')],
    ],
    [
      'an endpoint that is not a string',
      withChannel({ endpoint: 443 }),
      [
        error(
          'invalid',
          'Subscription.channel.endpoint must be a non-empty string',
          'Subscription.channel.endpoint',
        ),
      ],
    ],
    [
      'an endpoint off the allow-list',
      withChannel({ endpoint: 'https://SECRET.example.org/r4/' }),
      [error('business-rule', NOT_ALLOWED, 'Subscription.channel.endpoint')],
    ],
    [
      'a payload that is not a string (and only that)',
      withChannel({ payload: 5 }),
      [
        error(
          'invalid',
          'Subscription.channel.payload must be a non-empty string',
          'Subscription.channel.payload',
        ),
      ],
    ],
    [
      'an unsupported payload',
      withChannel({ payload: 'text/SECRET' }),
      [
        error(
          'not-supported',
          'Subscription.channel.payload must be application/fhir+json (or application/json)',
          'Subscription.channel.payload',
        ),
      ],
    ],
    [
      'headers that are not all strings',
      withChannel({ header: ['Authorization: SECRET', 5] }),
      [
        error(
          'invalid',
          'Subscription.channel.header must be an array of strings',
          'Subscription.channel.header',
        ),
      ],
    ],
    [
      'a header that is not an array',
      withChannel({ header: 'Authorization: SECRET' }),
      [
        error(
          'invalid',
          'Subscription.channel.header must be an array of strings',
          'Subscription.channel.header',
        ),
      ],
    ],
    [
      'missing criteria',
      without('criteria'),
      [error('required', 'Subscription.criteria is required', 'Subscription.criteria')],
    ],
  ])('%s with exactly its issue, never quoting the value', (_label, input, expected, context = create) => {
    const issues = issuesOf(input, context);
    expect(issues).toEqual(expected);
    expect(JSON.stringify(issues)).not.toContain('SECRET');
  });

  it('reports a criteria problem together with the others', () => {
    const both = issuesOf({
      ...withChannel({ payload: 'text/plain' }),
      criteria: 'Observation?subject.name=smith',
    });
    expect(both.map((entry) => entry.expression?.[0])).toEqual([
      'Subscription.channel.payload',
      'Subscription.criteria',
    ]);
  });
});

describe('Function: parseSubscription warnings', () => {
  it('says what default it filled in, and where', () => {
    expect(otherWarnings(parseSubscription(without('reason'), create).warnings)).toEqual([
      warning('required', 'Subscription.reason is absent; a default reason was set', 'Subscription.reason'),
    ]);
    expect(otherWarnings(parseSubscription(withChannel({ payload: undefined }), create).warnings)).toEqual([
      warning(
        'required',
        'Subscription.channel.payload is absent; application/fhir+json is used',
        'Subscription.channel.payload',
      ),
    ]);
    const primary = { ...create, primaryEndpoint: DATASTORE_A };
    expect(otherWarnings(parseSubscription(withChannel({ endpoint: undefined }), primary).warnings)).toEqual([
      warning(
        'required',
        "Subscription.channel.endpoint is absent; the deployment's primary data store is used",
        'Subscription.channel.endpoint',
      ),
    ]);
  });

  it('passes on the notes about extensions it keeps but does not act on', () => {
    const unknown = { url: 'http://example.org/fhir/StructureDefinition/team', valueString: 'a' };
    const parsed = parseSubscription(makeSubscription({ extension: [unknown] }), create);
    expect(otherWarnings(parsed.warnings)).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'not-supported',
        expression: ['Subscription.extension[0]'],
      }),
    ]);
  });

  it('warns when delivery-retry-count is above the deployment limit, and only then', () => {
    const retries = (count?: number) =>
      makeSubscription(
        {},
        count === undefined ? {} : { extension: [channelExtension.deliveryRetryCount(count)] },
      );
    const limited = { ...create, maxDeliveryRetryCount: 3 };
    expect(otherWarnings(parseSubscription(retries(4), limited).warnings)).toEqual([
      warning(
        'business-rule',
        "delivery-retry-count is above this deployment's limit of 3 retries; at most 3 are made",
        'Subscription.channel.extension',
      ),
    ]);
    expect(otherWarnings(parseSubscription(retries(3), limited).warnings)).toEqual([]);
    expect(otherWarnings(parseSubscription(retries(), limited).warnings)).toEqual([]);
    expect(otherWarnings(parseSubscription(retries(4), create).warnings)).toEqual([]);
  });

  it('accepts a Subscription without the delete and latest-version extensions, warning about each and what is lost', () => {
    const parsed = parseSubscription(makeSubscription(), create);
    expect(parsed.resource.status).toBe('active');
    const missing = parsed.warnings.filter((entry) => entry.code === 'incomplete');
    expect(missing).toEqual([
      warning(
        'incomplete',
        expect.stringMatching(
          /^subscription-send-delete-messages is not set to true: a resource deleted in the source is never deleted in HealthLake, which keeps the deleted record forever\. Smile CDR's HealthLake module requires it; add \{"url":"http:\/\/hapifhir\.io\/fhir\/StructureDefinition\/subscription-send-delete-messages","valueBoolean":true\}/,
        ) as unknown as string,
        'Subscription.channel.extension',
      ),
      warning(
        'incomplete',
        expect.stringMatching(
          /^subscription-resthook-deliver-latest-version is not set to true: every version is written to HealthLake in turn/,
        ) as unknown as string,
        'Subscription.channel.extension',
      ),
    ]);
    // Set to false is as good as absent; both set to true, no warning.
    const off = makeSubscription({}, { extension: [channelExtension.sendDeleteMessages(false)] });
    expect(
      parseSubscription(off, create).warnings.filter((entry) => entry.code === 'incomplete'),
    ).toHaveLength(2);
    const both = makeSubscription(
      {},
      { extension: [channelExtension.sendDeleteMessages(true), channelExtension.deliverLatestVersion(true)] },
    );
    expect(parseSubscription(both, create).warnings).toEqual([]);
  });

  it('drops a header given only as a primitive extension container, with the header warning', () => {
    const parsed = parseSubscription(
      withChannel({ _header: [{ extension: [{ url: 'http://example.org/x', valueString: 'SECRET' }] }] }),
      create,
    );
    expect(parsed.resource.channel).not.toHaveProperty('_header');
    expect(JSON.stringify(parsed.resource)).not.toContain('SECRET');
    expect(otherWarnings(parsed.warnings)).toEqual([HEADER_DROPPED_WARNING]);
  });
});

describe('Function: parseSubscription accepts', () => {
  it('an absent, null or empty modifierExtension, which modifies nothing', () => {
    for (const modifierExtension of [undefined, null, []]) {
      expect(parseSubscription(withRoot({ modifierExtension }), create).resource.status).toBe('active');
      expect(parseSubscription(withChannel({ modifierExtension }), create).resource.status).toBe('active');
    }
  });

  it('well-formed optional elements', () => {
    const parsed = parseSubscription(
      withRoot({
        language: 'en',
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Replication</div>' },
        contained: [{ resourceType: 'Organization', id: 'org' }],
        contact: [{ system: 'email', value: 'ops@example.org' }],
      }),
      create,
    );
    expect(parsed.resource).toMatchObject({ language: 'en', contact: [{ system: 'email' }] });
  });

  it.each([
    'Application/FHIR+JSON',
    ' application/fhir+json ; charset=utf-8',
    'application/fhir+json; fhirVersion=4.0.1',
    'application/json; fhirversion = 4.0',
    'application/fhir+json; charset="UTF-8"; fhirVersion=4.0',
  ])('the FHIR JSON payload %j', (payload) => {
    expect(parseSubscription(withChannel({ payload }), create).resource.channel.payload).toBe(payload);
  });

  it.each([
    'application/fhir+json; charset=iso-8859-1',
    'application/fhir+json; charset',
    'application/fhir+json; fhirVersion',
    'application/fhir+json; fhirVersion=4.3',
    'application/fhir+json; version=utf-8',
    'application/fhir+json; profile=x',
    'application/fhir+json+xml',
  ])('but not the payload %j', (payload) => {
    expect(issuesOf(withChannel({ payload }))).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: ['Subscription.channel.payload'] }),
    ]);
  });
});

describe('Function: parseSubscription end', () => {
  it('turns the subscription off from the instant its end is reached', () => {
    const at = (end: string) => parseSubscription(makeSubscription({ end }), create).resource.status;
    expect(at('2026-06-01T12:00:00Z')).toBe('off');
    expect(at('2026-06-01T12:00:00.001Z')).toBe('active');
    expect(
      parseSubscription(makeSubscription({ status: 'off', end: '2026-06-02T00:00:00Z' }), create).resource
        .status,
    ).toBe('off');
  });
});

describe('Function: parseSubscription with a criteria compiler', () => {
  const failing = (thrown: unknown): ParseSubscriptionContext => ({
    ...create,
    compile: () => {
      throw thrown;
    },
  });

  it("names Subscription.criteria on the compiler's issues that name nothing, and keeps the others' place", () => {
    const outcome = invalidOutcome([
      issue('not-supported', 'one'),
      { severity: 'error', code: 'invalid', diagnostics: 'two', expression: [] },
      issue('invalid', 'three', 'Subscription.criteria.code'),
    ]);
    expect(issuesOf(makeSubscription(), failing(new OperationOutcomeError(outcome)))).toEqual([
      error('not-supported', 'one', 'Subscription.criteria'),
      error('invalid', 'two', 'Subscription.criteria'),
      error('invalid', 'three', 'Subscription.criteria.code'),
    ]);
  });

  it('says the criteria cannot be evaluated when the compiler gives no issue', () => {
    const expected = [error('invalid', 'Subscription.criteria cannot be evaluated', 'Subscription.criteria')];
    const empty = new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: [] });
    expect(issuesOf(makeSubscription(), failing(empty))).toEqual(expected);
    const none = new OperationOutcomeError({ resourceType: 'OperationOutcome' } as never);
    expect(issuesOf(makeSubscription(), failing(none))).toEqual(expected);
  });

  it('lets an unexpected compiler failure through unchanged', () => {
    const bug = new TypeError('compiler bug');
    expect(() => parseSubscription(makeSubscription(), failing(bug))).toThrow(bug);
  });
});

describe('Function: withoutHeaders', () => {
  it('answers no channel for a resource without one', () => {
    expect(withoutHeaders(undefined)).toEqual({ channel: undefined, headerDropped: false });
    expect(withoutHeaders('rest-hook')).toEqual({ channel: undefined, headerDropped: false });
  });
});
