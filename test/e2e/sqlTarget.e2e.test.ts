import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../local/connector.js';
import { seedResources } from '../../local/standins/healthlake/index.js';
import { HAPI_EXTENSION_PREFIX } from '../../shared/config/constants.js';
import type { FhirResource } from '../../shared/fhir/types.js';
import { readDeadLetterCause } from '../../shared/messages/deadLetter.js';
import { peekMessages } from '../../shared/operator/peekMessages.js';
import { PgSqlClient } from '../../shared/sqlTarget/PgSqlClient.js';
import { DATABASE_KINDS, REAL_POSTGRES_URL, type DatabaseKind } from '../helpers/sqlDatabases.js';
import { hasSynthea, loadSyntheaResources, SYNTHEA_SKIP_MESSAGE } from '../helpers/synthea.js';
import {
  genderCounts,
  numericRowKeys,
  observationComponentKeys,
  observationsPerPatient,
  ofType,
  patientIdentifierKeys,
  patientNameKeys,
  rowKeys,
  sorted,
  SQL_KEY_QUERIES,
  tally,
} from '../helpers/syntheaSqlExpectations.js';
import { generateResources } from '../helpers/syntheticResources.js';
import { api, waitFor } from './e2eHelpers.js';

type Json = Record<string, unknown> & { id: string; resourceType: string };

/** The resources as PUT transactions of at most `size` entries: the ids of the FHIR data are kept. */
const putTransactions = (resources: readonly FhirResource[], size = 100): Json[] => {
  const bundles: Json[] = [];
  for (let start = 0; start < resources.length; start += size) {
    bundles.push({
      resourceType: 'Bundle',
      id: `tx-${start}`,
      type: 'transaction',
      entry: resources.slice(start, start + size).map((resource) => ({
        resource,
        request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
      })),
    });
  }
  return bundles;
};

const synthea = hasSynthea();
if (!synthea) console.warn(`${SYNTHEA_SKIP_MESSAGE} (test/e2e/sqlTarget.e2e.test.ts: Synthea part)`);

describe.each(DATABASE_KINDS)(
  'Local mode end to end: a Subscription to a SQL target (%s)',
  (kind: DatabaseKind) => {
    let connector: LocalConnector;
    let db: PgSqlClient;
    const schema = `hlc_e2e_${randomBytes(5).toString('hex')}`;
    const query = async (text: string, params: unknown[] = []) =>
      (await db.query(text.replaceAll('$schema', `"${schema}"`), params)).rows;
    const count = async (table: string, where = 'true', params: unknown[] = []) =>
      Number((await query(`SELECT count(*)::int AS n FROM $schema."${table}" WHERE ${where}`, params))[0]?.n);
    const queueDepth = async (url: string) => {
      const { Attributes } = await connector.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(Attributes?.ApproximateNumberOfMessages) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
      );
    };
    const sqlQueues = () => ({
      queue: connector.view.sqlQueueUrl as string,
      dlq: connector.view.sqlDlqUrl as string,
    });

    beforeAll(async () => {
      connector = await startConnector({
        apiPort: 0,
        logLevel: 'silent',
        progress: 'off',
        autoSubscription: false,
        retryBaseSeconds: 0,
        retryMaxSeconds: 1,
        deliveryRetryCount: 1,
        sqlSchema: schema,
        ...(kind === 'PGlite' ? { sql: 'embedded' as const } : { sqlUrl: REAL_POSTGRES_URL as string }),
      });
      // PGlite is one session: the test's queries share it with the writer, one connection each.
      db = new PgSqlClient({ connectionString: connector.sql?.url as string, maxConnections: 1 });
      const subscription = {
        resourceType: 'Subscription',
        id: 'sql-export',
        status: 'requested',
        reason: 'Relational export',
        criteria: '[*]',
        channel: {
          type: 'rest-hook',
          endpoint: 'sql://warehouse',
          payload: 'application/fhir+json',
          // Deletes are delivered only when asked (HAPI's default): they remove the rows.
          extension: [
            { url: `${HAPI_EXTENSION_PREFIX}subscription-send-delete-messages`, valueBoolean: true },
          ],
        },
      };
      // The first request loads ingest's FHIR definitions: on a loaded machine it can outlast the API's
      // 29 s (502); the PUT is idempotent, so it is sent again.
      let created = { status: 502, body: undefined as unknown };
      for (let attempt = 0; attempt < 3 && created.status === 502; attempt++)
        created = await api(connector, 'PUT', 'Subscription/sql-export', subscription);
      const status = (created.body as { status?: string } | undefined)?.status;
      if (created.status >= 300 || status !== 'active')
        throw new Error(`the SQL Subscription was not activated: HTTP ${created.status}, status ${status}`);
    }, 420_000);

    afterAll(async () => {
      try {
        if (kind === 'PostgreSQL') await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await db?.close();
        await connector?.stop();
      }
    });

    it('creates the tables at start and names the target in the banner fields', async () => {
      expect(connector.sql).toMatchObject({
        name: 'warehouse',
        endpoint: 'sql://warehouse',
        embedded: kind === 'PGlite',
      });
      expect(await count('patient')).toBe(0);
    });

    it(
      'fills the empty database with a backfill ($trigger-subscription) from the source server',
      { timeout: 300_000 },
      async () => {
        const resources = [...generateResources(70)];
        seedResources(connector.source!.store, resources as Parameters<typeof seedResources>[1]);
        const types = [...new Set(resources.map((r) => r.resourceType))];
        const trigger = await api(connector, 'POST', 'Subscription/sql-export/$trigger-subscription', {
          resourceType: 'Parameters',
          parameter: types.map((type) => ({ name: 'searchUrl', valueString: `${type}?_count=50` })),
        });
        expect(trigger.status).toBe(202);
        const patients = ofType(resources, 'Patient');
        const observations = ofType(resources, 'Observation');
        await waitFor(
          async () =>
            (await count('patient')) === patients.length &&
            (await count('observation')) === observations.length,
          {
            timeoutMs: 240_000,
            intervalMs: 250,
            message: () => 'the backfilled patients and observations in SQL',
          },
        );
        const genders = await query('SELECT gender, count(*)::int AS n FROM $schema.patient GROUP BY gender');
        expect(Object.fromEntries(genders.map((row) => [row.gender, row.n]))).toEqual(
          tally(patients.map((p) => String(p.gender))),
        );
        const perPatient = await query(
          'SELECT patient_id, count(*)::int AS n FROM $schema.observation GROUP BY patient_id',
        );
        expect(Object.fromEntries(perPatient.map((row) => [row.patient_id, row.n]))).toEqual(
          tally(
            observations.map((o) =>
              String((o.subject as { reference: string }).reference).slice('Patient/'.length),
            ),
          ),
        );
        expect(await count('patient_name')).toBe(patients.length);
      },
    );

    it('removes the parent row and every child row of a deleted resource', { timeout: 120_000 }, async () => {
      const patient = {
        resourceType: 'Patient',
        id: 'sql-delete-1',
        name: [{ family: 'Delete', given: ['Me'] }, { family: 'Alias' }],
        identifier: [{ system: 'urn:test', value: 'd-1' }],
        gender: 'other',
      };
      expect((await api(connector, 'PUT', 'Patient/sql-delete-1', patient)).status).toBeLessThan(300);
      await waitFor(
        async () => (await count('patient_name', 'source_resource_id = $1', ['sql-delete-1'])) === 2,
        {
          timeoutMs: 60_000,
          message: 'the patient and its two names in SQL',
        },
      );
      expect(await count('patient_identifier', 'source_resource_id = $1', ['sql-delete-1'])).toBe(1);
      expect((await api(connector, 'DELETE', 'Patient/sql-delete-1')).status).toBeLessThan(300);
      await waitFor(async () => (await count('patient', 'id = $1', ['sql-delete-1'])) === 0, {
        timeoutMs: 60_000,
        message: 'the deleted patient gone from SQL',
      });
      expect(await count('patient_name', 'source_resource_id = $1', ['sql-delete-1'])).toBe(0);
      expect(await count('patient_identifier', 'source_resource_id = $1', ['sql-delete-1'])).toBe(0);
    });

    it('keeps the newer version when an older one is sent after it', { timeout: 120_000 }, async () => {
      const version = (versionId: string, family: string, lastUpdated: string) => ({
        resourceType: 'Patient',
        id: 'sql-order-1',
        meta: { versionId, lastUpdated },
        name: [{ family }],
        gender: versionId === '3' ? 'female' : 'male',
      });
      const newer = await api(
        connector,
        'PUT',
        'Patient/sql-order-1',
        version('3', 'Newer', '2024-03-01T00:00:00Z'),
      );
      expect(newer.status).toBeLessThan(300);
      await waitFor(async () => (await count('patient', 'id = $1 AND version = 3', ['sql-order-1'])) === 1, {
        timeoutMs: 60_000,
        message: 'version 3 in SQL',
      });
      const older = await api(
        connector,
        'PUT',
        'Patient/sql-order-1',
        version('2', 'Older', '2024-02-01T00:00:00Z'),
      );
      expect(older.status).toBeLessThan(300);
      // A marker written after the older version: once it is in SQL, the older version had its chance too.
      expect(
        (
          await api(connector, 'PUT', 'Patient/sql-order-marker', {
            resourceType: 'Patient',
            id: 'sql-order-marker',
          })
        ).status,
      ).toBeLessThan(300);
      await waitFor(async () => (await count('patient', 'id = $1', ['sql-order-marker'])) === 1, {
        timeoutMs: 60_000,
        message: 'the marker in SQL',
      });
      await waitFor(async () => (await queueDepth(sqlQueues().queue)) === 0, {
        timeoutMs: 60_000,
        message: 'SQL queue drained',
      });
      const rows = await query(
        'SELECT version::int AS version, family_name, gender FROM $schema.patient WHERE id = $1',
        ['sql-order-1'],
      );
      expect(rows).toEqual([{ version: 3, family_name: 'Newer', gender: 'female' }]);
      expect(
        await query('SELECT family FROM $schema.patient_name WHERE source_resource_id = $1', ['sql-order-1']),
      ).toEqual([{ family: 'Newer' }]);
    });

    it(
      'dead-letters a value that does not fit its column with a cause naming table, column and resource, never the value',
      { timeout: 120_000 },
      async () => {
        // A dateTime with a time and no time zone passes ingest's structure check, but a timestamptz
        // column cannot place it in time: the value does not fit.
        const observation = (id: string, effectiveDateTime: string) => ({
          resourceType: 'Observation',
          id,
          status: 'final',
          code: { text: 'misfit test' },
          effectiveDateTime,
        });
        const response = await api(
          connector,
          'PUT',
          'Observation/sql-misfit-1',
          observation('sql-misfit-1', '2024-01-01T10:00:00'),
        );
        expect(response.status).toBeLessThan(300);
        const marker = await api(
          connector,
          'PUT',
          'Observation/sql-misfit-ok',
          observation('sql-misfit-ok', '2024-01-01T10:00:00Z'),
        );
        expect(marker.status).toBeLessThan(300);
        await waitFor(async () => (await queueDepth(sqlQueues().dlq)) === 1, {
          timeoutMs: 60_000,
          message: 'one message in the SQL DLQ',
        });
        const [message] = await peekMessages(connector.sqs, sqlQueues().dlq);
        const cause = readDeadLetterCause(message?.MessageAttributes);
        expect(cause).toMatchObject({
          kind: 'terminal',
          reason: 'sql-write',
          resourceType: 'Observation',
          id: 'sql-misfit-1',
        });
        expect(cause?.diagnostics).toContain(
          'column "effective_date_time" of table "observation" for Observation/sql-misfit-1',
        );
        expect(JSON.stringify(message?.MessageAttributes)).not.toContain('2024-01-01T10:00:00');
        // Counted: the writer's dead-letter metric, as `hlc status` reads it from local mode.
        expect(connector.stats.view().sql?.deadLettered).toBe(1);
        // Other resources go on.
        await waitFor(async () => (await count('observation', 'id = $1', ['sql-misfit-ok'])) === 1, {
          timeoutMs: 60_000,
          message: 'the fitting observation in SQL',
        });
        expect(await count('observation', 'id = $1', ['sql-misfit-1'])).toBe(0);
      },
    );

    describe.skipIf(!synthea)('the Synthea set through the ingest API', () => {
      let resources: FhirResource[] = [];
      const notOurs = "id NOT LIKE 'bench-%' AND id NOT LIKE 'sql-%'";
      const notOursChild = "source_resource_id NOT LIKE 'bench-%' AND source_resource_id NOT LIKE 'sql-%'";

      beforeAll(async () => {
        resources = loadSyntheaResources({ asStored: true });
        for (const bundle of putTransactions(resources)) {
          // A transaction the API timed out on (502 on a loaded machine)
          // (or reset the connection), so it is sent again: its entries are PUTs.
          let response = { status: 502 };
          for (let attempt = 0; attempt < 3 && response.status === 502; attempt++)
            response = await api(connector, 'POST', '', bundle).catch(() => ({ status: 502 }));
          if (response.status !== 200) throw new Error(`a Synthea transaction got HTTP ${response.status}`);
        }
        const observations = ofType(resources, 'Observation').length;
        await waitFor(
          async () =>
            (await count('observation', notOurs)) === observations &&
            (await queueDepth(sqlQueues().queue)) === 0,
          {
            // ~8,000 resources through ingest, the SQL queue and the writer; generous for a loaded machine.
            timeoutMs: 600_000,
            intervalMs: 500,
            message: async () =>
              `SQL holds observations: ${await count('observation', notOurs)} of ${observations}`,
          } as never,
        );
      }, 900_000);

      it('counts patients by gender as the FHIR data says', async () => {
        const rows = await query(
          `SELECT gender, count(*)::int AS n FROM $schema.patient WHERE ${notOurs} GROUP BY gender`,
        );
        expect(Object.fromEntries(rows.map((row) => [row.gender, row.n]))).toEqual(genderCounts(resources));
      });

      it('counts observations per patient as the FHIR data says', async () => {
        const rows = await query(
          `SELECT patient_id, count(*)::int AS n FROM $schema.observation WHERE ${notOurs} GROUP BY patient_id`,
        );
        expect(Object.fromEntries(rows.map((row) => [row.patient_id, row.n]))).toEqual(
          observationsPerPatient(resources),
        );
      });

      it('holds one name row and one identifier row per element, with the values of the FHIR data', async () => {
        expect(rowKeys(await query(SQL_KEY_QUERIES.patientNames(notOursChild)))).toEqual(
          sorted(patientNameKeys(resources)),
        );
        expect(rowKeys(await query(SQL_KEY_QUERIES.patientIdentifiers(notOursChild)))).toEqual(
          sorted(patientIdentifierKeys(resources)),
        );
      });

      it('holds each observation component with its code and value', async () => {
        const components = observationComponentKeys(resources);
        expect(components.length).toBeGreaterThan(0);
        expect(numericRowKeys(await query(SQL_KEY_QUERIES.observationComponents(notOursChild)))).toEqual(
          sorted(components),
        );
      });

      it('dead-lettered nothing of the Synthea set', async () => {
        expect(await queueDepth(sqlQueues().dlq)).toBe(1); // the misfit above, only
      });
    });
  },
);
