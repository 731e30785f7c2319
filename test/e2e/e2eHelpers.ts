import type { LocalConnector } from '../../local/connector.js';

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
