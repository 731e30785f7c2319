import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { SUBSCRIPTION_EXTENSIONS } from '../../shared/config/constants.js';
import { describeDlqMessage } from '../../shared/operator/describeDlqMessage.js';
import { peekMessages } from '../../shared/operator/peekMessages.js';
import { json, startFakeHttpServer, type FakeHttpServer } from '../shared/fhirClient/fakeHttpServer.js';
import { api, waitFor } from './e2eHelpers.js';

/** Content that must never appear in a cause, a log or the DLQ's cause attribute. */
const PHI = 'PHI-Alice-Smith-1970';

const observation = (id: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: PHI },
  ...extra,
});

/**
 * What the malicious source answers for `_id=X`: the matched Observation plus, depending on X, a result
 * that backfill would refuse. Each key is the id of the Observation the producer writes.
 */
const ANSWERS: Record<string, unknown[]> = {
  // An infrastructure type the connector never replicates.
  'bad-type': [
    observation('bad-type'),
    {
      resourceType: 'Subscription',
      id: 'sneaky',
      status: 'active',
      reason: PHI,
      criteria: 'Patient',
      channel: { type: 'rest-hook' },
    },
  ],
  // A prototype-polluting key inside a result.
  'proto-key': [observation('proto-key', { extension: [{ url: 'x', constructor: { prototype: PHI } }] })],
  // A lastUpdated far in the future would pin the resource in the version ledger.
  'clock-skew': [observation('clock-skew', { meta: { lastUpdated: '2099-01-01T00:00:00Z' } })],
  // Not an R4 Observation (status is a code, not a number).
  'bad-shape': [observation('bad-shape', { status: 42, valueString: PHI })],
  // Nested far deeper than ingest accepts.
  'too-deep': [
    observation('too-deep', {
      extension: [JSON.parse(`${'{"extension":['.repeat(150)}${'{}'}${']}'.repeat(150)}`)],
    }),
  ],
  honest: [observation('honest')],
};

const queueDepth = async (connector: LocalConnector, url: string): Promise<number> => {
  const { Attributes = {} } = await connector.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
};

describe("Deliverer: payload search results from a malicious source get backfill's checks", () => {
  let connector: LocalConnector;
  let source: FakeHttpServer;

  beforeAll(async () => {
    source = await startFakeHttpServer((request, _body, response) => {
      const id = new URL(request.url ?? '/', 'http://x').searchParams.get('_id') ?? '';
      json(response, 200, {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: (ANSWERS[id] ?? []).map((resource) => ({ resource, search: { mode: 'match' } })),
      });
    });
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'silent',
      progress: 'off',
      autoSubscription: false,
      sourceFhirBaseUrl: `${source.url}/fhir/`,
      retryBaseSeconds: 0,
      retryMaxSeconds: 1,
    });
  }, 60_000);

  afterAll(async () => {
    await connector?.stop();
    await source?.stop();
  });

  it('dead-letters each failing result with its id and the reason, never its content, and delivers the honest one', async () => {
    const created = await api(connector, 'PUT', 'Subscription/hostile-payload', {
      resourceType: 'Subscription',
      id: 'hostile-payload',
      extension: [
        {
          url: SUBSCRIPTION_EXTENSIONS.payloadSearchCriteria,
          valueString: 'Observation?_id=${matched_resource_id}',
        },
      ],
      status: 'requested',
      reason: 'payload search from a malicious source',
      criteria: 'Observation?status=final',
      channel: { type: 'rest-hook', payload: 'application/fhir+json' },
    });
    expect(created.status).toBe(201);
    for (const id of Object.keys(ANSWERS)) {
      // The producer's own write is honest; the source's answer to the search is not.
      const put = await api(connector, 'PUT', `Observation/${id}`, {
        resourceType: 'Observation',
        id,
        status: 'final',
        code: { text: 'x' },
      });
      expect([200, 201]).toContain(put.status);
    }
    const hostile = Object.keys(ANSWERS).length - 1;
    await waitFor(async () => (await queueDepth(connector, connector.resources.deliveryDlqUrl)) === hostile, {
      timeoutMs: 60_000,
      message: `${hostile} messages in the DLQ`,
    });
    await waitFor(() => connector.healthlake?.current('Observation', 'honest') !== undefined, {
      timeoutMs: 30_000,
      message: 'the honest Observation in HealthLake',
    });

    const entries = (await peekMessages(connector.sqs, connector.resources.deliveryDlqUrl, { max: 10 })).map(
      (message) =>
        // The cause with its diagnostics (the message body, with the producer's write, is not looked at).
        describeDlqMessage(message, { showContent: true }),
    );
    const causes = Object.fromEntries(entries.map((entry) => [entry.resource, entry.cause]));
    expect(Object.keys(causes).sort()).toEqual(
      ['bad-shape', 'bad-type', 'clock-skew', 'proto-key', 'too-deep'].map((id) => `Observation/${id}`),
    );
    expect(causes['Observation/bad-type']).toContain(
      'Payload search result Subscription/sneaky failed the checks',
    );
    for (const id of ['bad-shape', 'clock-skew', 'proto-key', 'too-deep']) {
      expect(causes[`Observation/${id}`]).toContain(
        `Payload search result Observation/${id} failed the checks`,
      );
    }
    for (const cause of Object.values(causes)) {
      expect(cause).toContain('payload-search');
      expect(cause).not.toContain(PHI);
    }
    // Nothing of a failing search reached HealthLake.
    for (const id of ['bad-shape', 'bad-type', 'clock-skew', 'proto-key', 'too-deep']) {
      expect(connector.healthlake?.current('Observation', id)).toBeUndefined();
    }
    expect(connector.healthlake?.current('Subscription', 'sneaky')).toBeUndefined();
  });
});
