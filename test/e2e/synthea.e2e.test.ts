import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { FhirApiClient } from '../../shared/operator/FhirApiClient.js';
import { sendResources } from '../../shared/operator/sendResources.js';
import { hasSynthea, SYNTHEA_DIR, SYNTHEA_SKIP_MESSAGE } from '../helpers/synthea.js';
import { api, referencesOf, waitFor } from './e2eHelpers.js';

const available = hasSynthea();
if (!available) console.warn(`${SYNTHEA_SKIP_MESSAGE} (test/e2e/synthea.e2e.test.ts)`);

/** Resource type of unsupported-type checks: present in the data, not needed by the references checked. */
const UNSUPPORTED = 'ImagingStudy';

describe.skipIf(!available)('Local mode end to end with the 24 Synthea transaction Bundles', () => {
  let connector: LocalConnector;
  let expectedByType: Map<string, number>;
  let expectedTotal = 0;

  beforeAll(async () => {
    expectedByType = new Map();
    for (const file of readdirSync(SYNTHEA_DIR).filter((name) => name.endsWith('.json'))) {
      const bundle = JSON.parse(readFileSync(join(SYNTHEA_DIR, file), 'utf8')) as {
        entry?: { resource?: { resourceType?: string } }[];
      };
      for (const entry of bundle.entry ?? []) {
        const type = entry.resource?.resourceType ?? '?';
        expectedByType.set(type, (expectedByType.get(type) ?? 0) + 1);
        expectedTotal += 1;
      }
    }
    connector = await startConnector({
      apiPort: 0,
      logLevel: 'silent',
      progress: 'off',
      unsupportedTypes: [UNSUPPORTED],
      retryBaseSeconds: 0,
      retryMaxSeconds: 1,
    });
  }, 60_000);

  afterAll(async () => {
    await connector?.stop();
  });

  it(
    'replicates every resource with references rewritten consistently and drops the unsupported type',
    { timeout: 480_000 },
    async () => {
      const healthlake = connector.healthlake!;
      const summary = await sendResources(
        new FhirApiClient({ baseUrl: connector.apiUrl, token: connector.token }),
        [SYNTHEA_DIR],
        {
          parallel: 4,
        },
      );
      expect(summary.failed).toBe(0);
      expect(summary.resources).toBe(expectedTotal);
      const unsupported = expectedByType.get(UNSUPPORTED) ?? 0;
      const delivered = expectedTotal - unsupported;
      await waitFor(() => healthlake.count() === delivered && connector.stats.notSupported === unsupported, {
        // ~65 s on an idle 2-core machine; generous so a loaded CI runner does not flake.
        timeoutMs: 420_000,
        intervalMs: 250,
        message: () => `HealthLake holds ${healthlake.count()} of ${delivered}; ${connector.stats.line()}`,
      });
      const heldByType = Object.fromEntries(
        [...expectedByType.keys()].map((type) => [type, healthlake.count(type)]),
      );
      const wantedByType = Object.fromEntries(
        [...expectedByType].map(([type, count]) => [type, type === UNSUPPORTED ? 0 : count]),
      );
      expect(heldByType).toEqual(wantedByType);
      let checked = 0;
      const dangling: string[] = [];
      for (const type of expectedByType.keys()) {
        if (type === UNSUPPORTED) continue;
        for (const resource of healthlake.store.search(type, { _count: ['100000'] }).resources) {
          for (const reference of referencesOf(resource)) {
            if (reference.startsWith('#')) continue;
            const [refType, refId] = reference.split('/') as [string, string];
            const wellFormed = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(reference);
            if (!wellFormed || (refType !== UNSUPPORTED && !healthlake.current(refType, refId))) {
              dangling.push(`${type} -> ${reference}`);
            }
            checked += 1;
          }
        }
      }
      expect(dangling).toEqual([]);
      expect(checked).toBeGreaterThan(20_000);
      expect(connector.stats.deadLettered).toBe(0);
    },
  );

  it(
    'ends at the latest versions after updates and removes deleted resources',
    { timeout: 60_000 },
    async () => {
      const healthlake = connector.healthlake!;
      const observations = healthlake.store.search('Observation', { _count: ['20'] }).resources as {
        id?: string;
      }[];
      const encounters = healthlake.store.search('Encounter', { _count: ['10'] }).resources as {
        id?: string;
      }[];
      expect(observations).toHaveLength(20);
      await Promise.all(
        observations.map(async (observation) => {
          const latest = healthlake.current<Record<string, unknown>>('Observation', observation.id!)!;
          for (const status of ['preliminary', 'amended', 'corrected']) {
            const { meta: _meta, ...body } = latest;
            const put = await api(connector, 'PUT', `Observation/${observation.id}`, { ...body, status });
            expect(put.status).toBe(200);
          }
        }),
      );
      await Promise.all(
        encounters.map(async (encounter) =>
          expect((await api(connector, 'DELETE', `Encounter/${encounter.id}`)).status).toBeLessThan(300),
        ),
      );
      await waitFor(
        () =>
          observations.every(
            (observation) =>
              healthlake.current<{ status?: string }>('Observation', observation.id!)?.status === 'corrected',
          ) && encounters.every((encounter) => healthlake.current('Encounter', encounter.id!) === undefined),
        {
          timeoutMs: 50_000,
          message: 'updated Observations at their latest version and deleted Encounters gone',
        },
      );
      const { Attributes = {} } = await connector.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: connector.resources.deliveryDlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      expect(Attributes.ApproximateNumberOfMessages).toBe('0');
    },
  );
});
