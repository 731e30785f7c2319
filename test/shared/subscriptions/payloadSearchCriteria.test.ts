import type { OperationOutcome, Subscription } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION_EXTENSIONS } from '../../../shared/config/constants.js';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import { deduplicationId } from '../../../shared/messages/deliveryMessage.js';
import { mergeTargets } from '../../../shared/subscriptions/mergeTargets.js';
import { parseSubscription } from '../../../shared/subscriptions/parseSubscription.js';
import { toActiveSubscription } from '../../../shared/subscriptions/toActiveSubscription.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import { activeSubscription, FakeMatcher, observation, RecordingQueue } from '../../helpers/ingestFakes.js';
import {
  ALLOWED_ENDPOINTS,
  DATASTORE_A,
  makeSubscription,
  otherWarnings,
  rejectionOf,
} from '../../helpers/subscriptions.js';

const CRITERIA = 'Observation?_id=${matched_resource_id}&_include=Observation:subject';
const create = { interaction: 'create' as const, id: 'ps', allowedEndpoints: ALLOWED_ENDPOINTS };
const withPayloadSearch = (valueString: string, where: 'root' | 'channel' = 'root'): Subscription => {
  const extension = [{ url: SUBSCRIPTION_EXTENSIONS.payloadSearchCriteria, valueString }];
  return where === 'root'
    ? makeSubscription({ criteria: 'Observation?status=final', extension })
    : makeSubscription({ criteria: 'Observation?status=final' }, { extension });
};
const refusal = (body: Subscription): OperationOutcome => rejectionOf(body, create);

describe('Subscription extension: subscription-payload-search-criteria', () => {
  it('is accepted on Subscription.extension, kept, and carried to the ingest view', () => {
    const parsed = parseSubscription(withPayloadSearch(CRITERIA), create);
    expect(parsed.resource.status).toBe('active');
    expect(parsed.settings.payloadSearchCriteria).toBe(CRITERIA);
    expect(otherWarnings(parsed.warnings)).toEqual([]);
    expect(toActiveSubscription(parsed.resource).payloadSearchCriteria).toBe(CRITERIA);
  });

  it('is refused with 400 when it is not a relative search URL, naming where and never quoting the value', () => {
    const outcome = refusal(withPayloadSearch('https://ehr.example.org/fhir/Observation?code=PHI-VALUE'));
    expect(outcome.issue?.[0]).toMatchObject({
      severity: 'error',
      code: 'invalid',
      expression: ['Subscription.extension[0]'],
    });
    expect(outcome.issue?.[0]?.diagnostics).toContain('relative search URL');
    expect(JSON.stringify(outcome)).not.toContain('PHI-VALUE');
  });

  it('is refused on the channel, where HAPI never reads it', () => {
    const outcome = refusal(withPayloadSearch(CRITERIA, 'channel'));
    expect(outcome.issue?.[0]?.diagnostics).toContain('belongs on Subscription.extension');
  });

  it('warns when the criteria do not use ${matched_resource_id}', () => {
    const parsed = parseSubscription(withPayloadSearch('Observation?status=final'), create);
    expect(parsed.warnings[0]).toMatchObject({ severity: 'warning', expression: ['Subscription.extension'] });
    expect(parsed.warnings[0]?.diagnostics).toContain('same search results');
  });

  it('makes its own delivery target, apart from a plain subscription on the same endpoint', () => {
    const plain = activeSubscription({ id: 'a', endpoint: DATASTORE_A });
    const searching = activeSubscription({ id: 'b', endpoint: DATASTORE_A, payloadSearchCriteria: CRITERIA });
    const targets = mergeTargets([plain, searching]);
    expect(targets.map((target) => [target.subscriptionIds, target.payloadSearchCriteria])).toEqual([
      [['a'], undefined],
      [['b'], CRITERIA],
    ]);
  });

  it('puts the criteria in the delivery message of each matching write, with its own deduplication id', async () => {
    const queue = new RecordingQueue();
    const pipeline = new DefaultWritePipeline({
      ledger: new InMemoryVersionLedger(),
      matcher: new FakeMatcher([
        activeSubscription({ id: 'plain', endpoint: DATASTORE_A }),
        activeSubscription({ id: 'search', endpoint: DATASTORE_A, payloadSearchCriteria: CRITERIA }),
      ]),
      queue,
      now: () => new Date('2025-02-02T00:00:00Z'),
    });
    const [result] = await pipeline.accept([
      {
        operation: 'upsert',
        resourceType: 'Observation',
        id: 'o1',
        resource: observation({ id: 'o1' }),
        source: 'ingest',
        requestId: 'r1',
      },
    ]);
    expect(result).toMatchObject({ status: 'recorded', enqueued: 2 });
    const [plain, search] = queue.messages;
    expect(plain?.subscription.payloadSearchCriteria).toBeUndefined();
    expect(search?.subscription.payloadSearchCriteria).toBe(CRITERIA);
    // Same version, same endpoint: SQS FIFO must not drop either as a duplicate.
    expect(deduplicationId(plain!)).not.toBe(deduplicationId(search!));
  });
});
