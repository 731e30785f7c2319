import type { Subscription } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION_EXTENSIONS } from '../../../shared/config/constants.js';
import {
  DEFAULT_REASON,
  parseSubscription,
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

const create = CREATE_CONTEXT;
const update = (previousStatus?: ParseSubscriptionContext['previousStatus']): ParseSubscriptionContext => ({
  ...create,
  interaction: 'update',
  id: 'sub-1',
  ...(previousStatus ? { previousStatus } : {}),
});

const rejection = rejectionOf;

const expectRejected = (
  input: unknown,
  expected: { code: string; expression: string },
  context: ParseSubscriptionContext = create,
) => {
  const outcome = rejection(input, context);
  expect(outcome.id).toBe('400');
  expect(outcome.issue).toContainEqual(
    expect.objectContaining({ severity: 'error', code: expected.code, expression: [expected.expression] }),
  );
};

describe('Function: parseSubscription', () => {
  describe('status', () => {
    it('turns a requested subscription into an active one', () => {
      const { resource } = parseSubscription(makeSubscription(), create);
      expect(resource.status).toBe('active');
    });

    it('keeps an off subscription off after validating it', () => {
      expect(parseSubscription(makeSubscription({ status: 'off' }), create).resource.status).toBe('off');
      expectRejected(makeSubscription({ status: 'off' }, { type: 'email' }), {
        code: 'not-supported',
        expression: 'Subscription.channel.type',
      });
    });

    it('refuses active or error submitted by a client on create', () => {
      for (const status of ['active', 'error'] as const) {
        expectRejected(makeSubscription({ status }), {
          code: 'business-rule',
          expression: 'Subscription.status',
        });
      }
    });

    it('accepts active or error re-submitted as the server stored it, and makes it active', () => {
      const active = makeSubscription({ id: 'sub-1', status: 'active' });
      expect(parseSubscription(active, update('active')).resource.status).toBe('active');
      const errored = makeSubscription({
        id: 'sub-1',
        status: 'error',
        error: 'endpoint left the allow-list',
      });
      const parsed = parseSubscription(errored, update('error'));
      expect(parsed.resource.status).toBe('active');
      expect(parsed.resource.error).toBeUndefined();
    });

    it('refuses a status that differs from the stored one unless it is requested or off', () => {
      expectRejected(
        makeSubscription({ id: 'sub-1', status: 'error' }),
        {
          code: 'business-rule',
          expression: 'Subscription.status',
        },
        update('active'),
      );
    });

    it('refuses a missing or unknown status', () => {
      const { status: _status, ...withoutStatus } = makeSubscription();
      expectRejected(withoutStatus, { code: 'required', expression: 'Subscription.status' });
      expectRejected(
        { ...makeSubscription(), status: 'paused' },
        { code: 'code-invalid', expression: 'Subscription.status' },
      );
    });

    it('never takes Subscription.error from the client', () => {
      const { resource } = parseSubscription(makeSubscription({ error: 'client text' }), create);
      expect(resource.error).toBeUndefined();
    });
  });

  describe('end', () => {
    it('keeps a future end and stays active', () => {
      const { resource } = parseSubscription(makeSubscription({ end: '2026-06-02T00:00:00Z' }), create);
      expect(resource).toMatchObject({ status: 'active', end: '2026-06-02T00:00:00Z' });
    });

    it('stores a subscription whose end has passed as off', () => {
      const { resource } = parseSubscription(makeSubscription({ end: '2026-06-01T11:59:59Z' }), create);
      expect(resource.status).toBe('off');
    });

    it('refuses an end that is not an instant', () => {
      expectRejected(makeSubscription({ end: '2026-06-02' }), {
        code: 'invalid',
        expression: 'Subscription.end',
      });
      expectRejected(makeSubscription({ end: '2026-13-45T00:00:00Z' }), {
        code: 'invalid',
        expression: 'Subscription.end',
      });
    });
  });

  describe('channel', () => {
    it('refuses channel types other than rest-hook', () => {
      expectRejected(makeSubscription({}, { type: 'websocket' }), {
        code: 'not-supported',
        expression: 'Subscription.channel.type',
      });
      expectRejected(makeSubscription({}, { type: 'carrier-pigeon' as 'email' }), {
        code: 'code-invalid',
        expression: 'Subscription.channel.type',
      });
    });

    it('refuses an endpoint that is not on the allow-list', () => {
      for (const endpoint of [
        'https://attacker.example.com/datastore/0123456789abcdef0123456789abcdef/r4/',
        'https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/Patient/',
        `${DATASTORE_A}?x=1`,
        'https://user:pw@healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/',
        'not a url',
      ]) {
        expectRejected(makeSubscription({}, { endpoint }), {
          code: 'business-rule',
          expression: 'Subscription.channel.endpoint',
        });
      }
    });

    it('accepts an allowed endpoint with or without the trailing slash and normalises it', () => {
      const withoutSlash = DATASTORE_A.replace(/\/$/, '');
      const parsed = parseSubscription(makeSubscription({}, { endpoint: withoutSlash }), create);
      expect(parsed.endpoint).toBe(DATASTORE_A);
      const upper = DATASTORE_A.replace('healthlake.us-east-1', 'HEALTHLAKE.US-EAST-1');
      expect(parseSubscription(makeSubscription({}, { endpoint: upper }), create).endpoint).toBe(DATASTORE_A);
      const allowedWithoutSlash = { ...create, allowedEndpoints: [withoutSlash] };
      expect(parseSubscription(makeSubscription(), allowedWithoutSlash).endpoint).toBe(DATASTORE_A);
    });

    it('requires an endpoint when the deployment names no primary data store', () => {
      expectRejected(makeSubscription({}, { endpoint: undefined }), {
        code: 'required',
        expression: 'Subscription.channel.endpoint',
      });
    });

    it("uses the deployment's primary data store when the endpoint is absent, with a warning", () => {
      const parsed = parseSubscription(makeSubscription({}, { endpoint: undefined }), {
        ...create,
        primaryEndpoint: DATASTORE_A,
      });
      expect(parsed.endpoint).toBe(DATASTORE_A);
      expect(parsed.resource.channel.endpoint).toBe(DATASTORE_A);
      expect(parsed.warnings).toContainEqual(
        expect.objectContaining({ severity: 'warning', expression: ['Subscription.channel.endpoint'] }),
      );
    });

    it('defaults an absent payload to application/fhir+json, with a warning', () => {
      const parsed = parseSubscription(makeSubscription({}, { payload: undefined }), create);
      expect(parsed.resource.channel.payload).toBe('application/fhir+json');
      expect(parsed.warnings).toContainEqual(
        expect.objectContaining({ severity: 'warning', expression: ['Subscription.channel.payload'] }),
      );
    });

    it('requires a FHIR JSON payload', () => {
      for (const payload of [
        'application/fhir+xml',
        'text/plain',
        'application/fhir+json; fhirVersion=3.0',
      ]) {
        expectRejected(makeSubscription({}, { payload }), {
          code: 'not-supported',
          expression: 'Subscription.channel.payload',
        });
      }
    });

    it('accepts application/json and FHIR JSON with version and charset parameters', () => {
      for (const payload of [
        'application/json',
        'application/fhir+json;fhirVersion=4.0',
        'application/fhir+json; charset=utf-8',
      ]) {
        expect(parseSubscription(makeSubscription({}, { payload }), create).resource.channel.payload).toBe(
          payload,
        );
      }
    });

    it('drops channel.header values (never stored) with a warning, and still refuses non-strings', () => {
      const parsed = parseSubscription(makeSubscription({}, { header: ['Authorization: Bearer x'] }), create);
      expect(parsed.resource.channel.header).toBeUndefined();
      expect(JSON.stringify(parsed.resource)).not.toContain('Bearer x');
      expect(otherWarnings(parsed.warnings)).toEqual([
        expect.objectContaining({
          severity: 'warning',
          expression: ['Subscription.channel.header'],
          diagnostics: expect.not.stringContaining('Bearer x'),
        }),
      ]);
      expect(otherWarnings(parseSubscription(makeSubscription(), create).warnings)).toEqual([]);
      expectRejected(makeSubscription({}, { header: [42 as unknown as string] }), {
        code: 'invalid',
        expression: 'Subscription.channel.header',
      });
    });

    it('refuses a missing channel', () => {
      const { channel: _channel, ...withoutChannel } = makeSubscription();
      expectRejected(withoutChannel, { code: 'required', expression: 'Subscription.channel' });
    });
  });

  describe('extensions', () => {
    it('reads the HAPI channel extensions from the channel', () => {
      const parsed = parseSubscription(
        makeSubscription(
          {},
          {
            extension: [
              channelExtension.sendDeleteMessages(true),
              channelExtension.deliverLatestVersion(true),
              channelExtension.deliveryRetryCount(3),
              channelExtension.stripVersionIds(true),
            ],
          },
        ),
        create,
      );
      expect(parsed.settings).toEqual({
        sendDeleteMessages: true,
        deliverLatestVersion: true,
        deliveryRetryCount: 3,
        stripVersionIds: true,
      });
    });

    it('reads them from the Subscription root too, and defaults them as HAPI does', () => {
      const parsed = parseSubscription(
        makeSubscription({ extension: [channelExtension.sendDeleteMessages(true)] }),
        create,
      );
      expect(parsed.settings).toEqual({
        sendDeleteMessages: true,
        deliverLatestVersion: false,
        stripVersionIds: false,
      });
      expect(parseSubscription(makeSubscription(), create).settings.deliveryRetryCount).toBeUndefined();
    });

    it('refuses extension values of the wrong type, pointing at the extension', () => {
      expectRejected(
        makeSubscription(
          {},
          { extension: [{ url: SUBSCRIPTION_EXTENSIONS.sendDeleteMessages, valueString: 'true' }] },
        ),
        { code: 'invalid', expression: 'Subscription.channel.extension[0]' },
      );
      expectRejected(
        makeSubscription(
          {},
          {
            extension: [channelExtension.stripVersionIds(false), channelExtension.deliveryRetryCount(-1)],
          },
        ),
        { code: 'invalid', expression: 'Subscription.channel.extension[1]' },
      );
      expectRejected(
        makeSubscription({
          extension: [{ url: SUBSCRIPTION_EXTENSIONS.deliveryRetryCount, valueInteger: 1.5 }],
        }),
        { code: 'invalid', expression: 'Subscription.extension[0]' },
      );
    });

    it('refuses a known extension given twice', () => {
      expectRejected(
        makeSubscription(
          { extension: [channelExtension.sendDeleteMessages(false)] },
          { extension: [channelExtension.sendDeleteMessages(true)] },
        ),
        { code: 'invalid', expression: 'Subscription.extension[0]' },
      );
    });

    it('keeps unknown plain extensions', () => {
      const unknown = { url: 'http://example.org/fhir/StructureDefinition/team', valueString: 'integration' };
      const parsed = parseSubscription(
        makeSubscription({ extension: [unknown] }, { extension: [unknown] }),
        create,
      );
      expect(parsed.resource.extension).toEqual([unknown]);
      expect(parsed.resource.channel.extension).toEqual([unknown]);
    });

    it('refuses a modifier extension anywhere, naming where it is', () => {
      const modifier = [{ url: 'http://example.org/fhir/StructureDefinition/only-if', valueBoolean: true }];
      expectRejected(makeSubscription({ modifierExtension: modifier }), {
        code: 'not-supported',
        expression: 'Subscription.modifierExtension',
      });
      expectRejected(makeSubscription({}, { modifierExtension: modifier }), {
        code: 'not-supported',
        expression: 'Subscription.channel.modifierExtension',
      });
      expectRejected(
        makeSubscription({ contact: [{ system: 'email', modifierExtension: modifier } as never] }),
        {
          code: 'not-supported',
          expression: 'Subscription.contact[0].modifierExtension',
        },
      );
    });

    it('refuses implicitRules, which would change the meaning of the resource', () => {
      expectRejected(makeSubscription({ implicitRules: 'http://example.org/rules' }), {
        code: 'not-supported',
        expression: 'Subscription.implicitRules',
      });
    });
  });

  describe('structure', () => {
    it('refuses a body that is not a Subscription', () => {
      expectRejected({ resourceType: 'Patient' }, { code: 'invalid', expression: 'Subscription' });
      expectRejected('text', { code: 'invalid', expression: 'Subscription' });
    });

    it('refuses elements R4 does not define', () => {
      expectRejected(
        { ...makeSubscription(), topic: 'x' },
        { code: 'structure', expression: 'Subscription.topic' },
      );
      expectRejected(makeSubscription({}, { retries: 3 } as never), {
        code: 'structure',
        expression: 'Subscription.channel.retries',
      });
    });

    it('accepts primitive extension containers of primitive elements', () => {
      const input = {
        ...makeSubscription(),
        _reason: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] },
      };
      expect(parseSubscription(input, create).resource).toHaveProperty('_reason');
    });

    it('sets a default reason when it is absent, with a warning', () => {
      const { reason: _reason, ...withoutReason } = makeSubscription();
      const parsed = parseSubscription(withoutReason, create);
      expect(parsed.resource.reason).toBe(DEFAULT_REASON);
      expect(parsed.warnings).toContainEqual(
        expect.objectContaining({ severity: 'warning', expression: ['Subscription.reason'] }),
      );
    });

    it('requires reason and criteria as non-empty strings', () => {
      expectRejected(makeSubscription({ reason: ' ' }), {
        code: 'invalid',
        expression: 'Subscription.reason',
      });
      expectRejected(makeSubscription({ criteria: '  ' }), {
        code: 'invalid',
        expression: 'Subscription.criteria',
      });
      expectRejected(
        { ...makeSubscription(), criteria: 7 },
        { code: 'invalid', expression: 'Subscription.criteria' },
      );
    });

    it('reports every problem at once', () => {
      const outcome = rejection(
        makeSubscription({ status: 'active', end: 'tomorrow' }, { type: 'email', payload: 'text/plain' }),
      );
      const expressions = outcome.issue?.flatMap((issue) => issue.expression ?? []);
      expect(expressions).toEqual(
        expect.arrayContaining([
          'Subscription.status',
          'Subscription.end',
          'Subscription.channel.type',
          'Subscription.channel.payload',
        ]),
      );
    });
  });

  describe('criteria', () => {
    it('compiles supported criteria', () => {
      const parsed = parseSubscription(
        makeSubscription({ criteria: 'Observation?code=http://loinc.org|1234-5&status=final' }),
        create,
      );
      expect(parsed.compiled.resourceTypes).toEqual(new Set(['Observation']));
    });

    it('rejects criteria the matcher cannot evaluate exactly with a 400 naming the parameter', () => {
      const outcome = rejection(makeSubscription({ criteria: 'Observation?subject.name=smith' }));
      expect(outcome.id).toBe('400');
      expect(outcome.issue?.[0]).toMatchObject({ code: 'invalid', expression: ['Subscription.criteria'] });
      expect(outcome.issue?.[0]?.diagnostics).toContain('subject.name');
      expect(outcome.issue?.[0]?.diagnostics).not.toContain('smith');
    });

    it('rejects an unknown resource type in a type list', () => {
      expectRejected(makeSubscription({ criteria: '[Patient,Nonsense]' }), {
        code: 'invalid',
        expression: 'Subscription.criteria',
      });
    });
  });

  describe('identity and meta', () => {
    it('gives a created subscription the server id, ignoring the body id', () => {
      expect(parseSubscription(makeSubscription({ id: 'client-id' }), create).resource.id).toBe('new-id');
    });

    it('requires the body id to equal the URL id on update', () => {
      expectRejected(makeSubscription(), { code: 'required', expression: 'Subscription.id' }, update());
      expectRejected(
        makeSubscription({ id: 'other' }),
        { code: 'invalid', expression: 'Subscription.id' },
        update(),
      );
      expect(parseSubscription(makeSubscription({ id: 'sub-1' }), update()).resource.id).toBe('sub-1');
    });

    it('drops the version meta the store owns and keeps the rest', () => {
      const input: Subscription = makeSubscription({
        meta: { versionId: '7', lastUpdated: '2020-01-01T00:00:00Z', tag: [{ code: 'team-a' }] },
      });
      expect(parseSubscription(input, create).resource.meta).toEqual({ tag: [{ code: 'team-a' }] });
      const versionOnly = makeSubscription({ meta: { versionId: '7' } });
      expect(parseSubscription(versionOnly, create).resource.meta).toBeUndefined();
    });

    it('does not modify its input', () => {
      const input = makeSubscription({ error: 'x', meta: { versionId: '1' } });
      const copy = structuredClone(input);
      parseSubscription(input, create);
      expect(input).toEqual(copy);
    });
  });
});
