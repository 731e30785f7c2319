import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { InMemorySubscriptionStore } from '../../shared/subscriptions/index.js';

/** Four data store endpoints, the allow-list of the ingest benchmarks. */
export const BENCH_ENDPOINTS = ['aaaa', 'bbbb', 'cccc', 'dddd'].map(
  (id) => `https://healthlake.us-east-1.amazonaws.com/datastore/${id.repeat(8)}/r4/`,
);

/** The criteria of the `index`th of the benchmarks' 100 subscriptions. */
export const benchCriteria = (index: number, variant = 0): string =>
  index < 60
    ? `Observation?code=http://loinc.org|${1000 + ((index + variant) % 60)}-${index % 10}&status=final`
    : index < 80
      ? '[Patient,Condition,Encounter]'
      : index < 95
        ? 'Patient?gender=female'
        : '[*]';

/**
 * Saves 100 active subscriptions over `endpoints`: 60 Observation code searches, 20 type lists, 15
 * Patient searches and 5 `[*]`.
 */
export const saveBenchSubscriptions = async (
  store: InMemorySubscriptionStore,
  endpoints: readonly string[],
): Promise<void> => {
  for (let index = 0; index < 100; index += 1) await saveBenchSubscription(store, endpoints, index);
};

/** Saves (or replaces) the `index`th benchmark subscription, its criteria shifted by `variant`. */
export const saveBenchSubscription = async (
  store: InMemorySubscriptionStore,
  endpoints: readonly string[],
  index: number,
  variant = 0,
): Promise<void> => {
  await store.save({
    resourceType: 'Subscription',
    id: `bench-${index}`,
    status: 'active',
    reason: 'bench',
    criteria: benchCriteria(index, variant),
    channel: {
      type: 'rest-hook',
      endpoint: endpoints[index % endpoints.length] as string,
      payload: 'application/fhir+json',
    },
  });
};

/** An API Gateway REST proxy event as the ingest Lambda receives it (bearer token, minimal return). */
export const proxyEvent = (
  token: string,
  method: string,
  proxy: string,
  body: unknown,
): APIGatewayProxyEvent =>
  ({
    resource: proxy ? '/{proxy+}' : '/',
    path: `/fhir/${proxy}`,
    httpMethod: method,
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/fhir+json',
      Host: 'bench',
      Prefer: 'return=minimal',
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: proxy ? { proxy } : null,
    stageVariables: null,
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'bench', identity: {} },
  }) as unknown as APIGatewayProxyEvent;

/** A small Patient with a source version; `i` varies its gender. */
export const benchPatient = (id: string, versionId: string, i: number): Record<string, unknown> => ({
  resourceType: 'Patient',
  id,
  meta: { versionId, lastUpdated: '2025-01-01T00:00:00.000Z' },
  active: true,
  gender: i % 2 ? 'female' : 'male',
  birthDate: '1980-02-03',
  name: [{ family: 'Bench', given: ['Marker'] }],
});

/** A heart-rate Observation with a source version; `i` picks one of the 60 searched LOINC codes. */
export const benchObservation = (id: string, versionId: string, i: number): Record<string, unknown> => ({
  resourceType: 'Observation',
  id,
  meta: { versionId, lastUpdated: '2025-01-01T00:00:00.000Z' },
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: `${1000 + (i % 60)}-${i % 10}` }] },
  subject: { reference: 'Patient/p1' },
  valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});
