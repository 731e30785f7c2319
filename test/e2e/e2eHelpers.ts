import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { CliIo } from '../../bin/cliIo.js';
import type { LocalConnector } from '../../local/connector.js';
import { SMILE_EXTENSIONS } from '../../shared/config/constants.js';

/** Polls `condition` until it returns a truthy value or the deadline passes (then throws `message`). */
export const waitFor = async <T>(
  condition: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; message?: string | (() => string) } = {},
): Promise<NonNullable<T>> => {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) {
      const message = typeof options.message === 'function' ? options.message() : options.message;
      throw new Error(`Timed out waiting: ${message ?? 'condition'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
};

/** Messages in a queue of the connector, visible and in flight. */
export const queueDepth = async (connector: Pick<LocalConnector, 'sqs'>, url: string): Promise<number> => {
  const { Attributes = {} } = await connector.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
};

/** The CLI's I/O against a local connector (admin token), collecting every printed line in `out`. */
export const cliCapture = (
  connector: Pick<LocalConnector, 'apiUrl' | 'token'>,
): { out: string[]; io: CliIo } => {
  const out: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => out.push(line),
    isTTY: false,
    env: { HLC_API_URL: connector.apiUrl, HLC_TOKEN: connector.token },
  };
  return { out, io };
};

/** A FHIR request to the connector's ingest API with its development token. */
export const api = async (
  connector: Pick<LocalConnector, 'apiUrl' | 'token'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> => {
  const response = await fetch(`${connector.apiUrl}/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${connector.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
};

type Json = Record<string, unknown>;

/** Every `reference` string in a resource (recursively). */
export const referencesOf = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.flatMap(referencesOf);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value as Json).flatMap(([key, item]) =>
    key === 'reference' && typeof item === 'string' ? [item] : referencesOf(item),
  );
};

/**
 * A small transaction Bundle like Synthea writes (POST entries, `urn:uuid:` full URLs and references):
 * `patients` Patients, each with an Encounter, `observationsPerPatient` Observations and one Goal.
 */
export const syntheticTransaction = (seed: string, patients = 3, observationsPerPatient = 3): Json => {
  const entry: Json[] = [];
  let counter = 0;
  const uuid = () => {
    counter += 1;
    const hex = Buffer.from(`${seed}-${counter}`).toString('hex').padEnd(32, '0').slice(0, 32);
    return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  };
  const add = (resource: Json) => {
    const fullUrl = uuid();
    entry.push({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });
    return fullUrl;
  };
  for (let p = 0; p < patients; p += 1) {
    const patient = add({ resourceType: 'Patient', active: true, gender: 'female', birthDate: '1970-01-01' });
    const encounter = add({
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: patient },
    });
    for (let o = 0; o < observationsPerPatient; o += 1) {
      add({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: patient },
        encounter: { reference: encounter },
        valueQuantity: { value: 60 + o, unit: '/min' },
      });
    }
    add({
      resourceType: 'Goal',
      lifecycleStatus: 'active',
      description: { text: 'Goal' },
      subject: { reference: patient },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
};

/** The `Type/id` locations of a transaction-response's entries. */
export const responseLocations = (body: unknown): string[] =>
  ((body as { entry?: { response?: { location?: string } }[] }).entry ?? []).map((entry) => {
    const location = entry.response?.location ?? '';
    const [type, id] = location.replace(/^.*?\/?([A-Z][A-Za-z]+\/[^/]+)(\/_history\/.*)?$/, '$1').split('/');
    return `${type}/${id}`;
  });

/** A replicating Subscription (Smile CDR style: replicate-id-prefix, optional selector), sending deletes. */
export const replicatingSubscription = (id: string, prefix: string, selector?: string) => ({
  resourceType: 'Subscription',
  id,
  status: 'requested',
  reason: 'Replicate one source into the shared data store',
  criteria: '[*]',
  channel: {
    type: 'rest-hook',
    payload: 'application/fhir+json',
    extension: [
      { url: SMILE_EXTENSIONS.replicateMode, valueBoolean: true },
      { url: SMILE_EXTENSIONS.replicateIdPrefix, valueString: prefix },
      ...(selector ? [{ url: SMILE_EXTENSIONS.replicateIdPrefixSelector, valueString: selector }] : []),
      {
        url: 'http://hapifhir.io/fhir/StructureDefinition/subscription-send-delete-messages',
        valueBoolean: true,
      },
    ],
  },
});

/** A `Parameters.parameter` of a reconcile report. */
export interface ReportParameter {
  name: string;
  valueCode?: string;
  valueString?: string;
  valueUnsignedInt?: number;
  part?: ReportParameter[];
  valueReference?: { reference: string };
}
export interface ReconcileReport {
  parameter: ReportParameter[];
}

export const reportValue = (report: ReconcileReport, name: string) =>
  report.parameter.find((p) => p.name === name);

/** The report's `total` counts by outcome. */
export const reportTotal = (report: ReconcileReport): Record<string, number> =>
  Object.fromEntries(
    (reportValue(report, 'total')?.part ?? []).map((p) => [p.name, p.valueUnsignedInt ?? 0]),
  );

/** Starts `$reconcile` and waits for the job to complete (throws when it fails or is cancelled). */
export const runReconcile = async (
  connector: Pick<LocalConnector, 'apiUrl' | 'token'>,
  parameter: readonly object[],
  timeoutMs = 120_000,
): Promise<{ jobId: string; report: ReconcileReport }> => {
  const started = await api(connector, 'POST', '$reconcile', { resourceType: 'Parameters', parameter });
  if (started.status !== 202)
    throw new Error(`$reconcile answered ${started.status}: ${JSON.stringify(started.body)}`);
  const jobId = reportValue(started.body as ReconcileReport, 'jobId')?.valueString as string;
  const report = await waitFor(
    async () => {
      const status = await api(connector, 'GET', `$reconcile-job/${jobId}`);
      const body = status.body as ReconcileReport;
      const state = reportValue(body, 'state')?.valueCode;
      if (state === 'failed' || state === 'cancelled')
        throw new Error(`job ${state}: ${reportValue(body, 'reason')?.valueString}`);
      return state === 'completed' ? body : undefined;
    },
    { timeoutMs, intervalMs: 200, message: `reconcile job ${jobId} to complete` },
  );
  return { jobId, report };
};
