import { describe, expect, it } from 'vitest';
import { capabilityStatement } from '../../../../shared/ingest/routes/capabilityStatement.js';

const WRITES = [
  { code: 'update', documentation: 'Update-as-create. meta.versionId/lastUpdated from the source are kept.' },
  { code: 'create', documentation: 'Server-assigned id (UUID).' },
  { code: 'delete' },
];

const clinical = (type: string) => ({
  type,
  interaction: WRITES,
  versioning: 'versioned-update',
  readHistory: false,
  updateCreate: true,
  conditionalCreate: false,
  conditionalUpdate: false,
  conditionalDelete: 'not-supported',
});

const SUBSCRIPTION = {
  type: 'Subscription',
  interaction: [
    { code: 'read' },
    { code: 'search-type' },
    { code: 'create' },
    { code: 'update' },
    { code: 'delete' },
  ],
  updateCreate: true,
};

const base = {
  resourceTypes: ['Observation', 'Patient'],
  baseUrl: 'https://ingest.example.org/fhir',
  subscriptions: false,
  triggerSubscription: false,
  authModes: ['bearer token'],
};

describe('Function: capabilityStatement', () => {
  it('states writes of the given types, transaction and batch, JSON only, authenticated', () => {
    const before = Date.now();
    const statement = capabilityStatement(base);
    const { date, ...rest } = statement;
    expect(Date.parse(date ?? '')).toBeGreaterThanOrEqual(before - 1);
    expect(rest).toStrictEqual({
      resourceType: 'CapabilityStatement',
      status: 'active',
      kind: 'instance',
      implementation: {
        description:
          'HealthLake outbound connector ingest API: accepts FHIR R4 writes and replicates matching ones to Amazon HealthLake. Reads are served by the source FHIR server or HealthLake.',
        url: 'https://ingest.example.org/fhir',
      },
      fhirVersion: '4.0.1',
      format: ['json', 'application/fhir+json'],
      rest: [
        {
          mode: 'server',
          security: { cors: false, description: 'Every request is authenticated: bearer token.' },
          resource: [clinical('Observation'), clinical('Patient')],
          interaction: [{ code: 'transaction' }, { code: 'batch' }],
        },
      ],
    });
  });

  it('names the software and every authentication mode', () => {
    const statement = capabilityStatement({
      ...base,
      software: { name: 'hlc', version: '1.2.3' },
      authModes: ['bearer token', 'AWS SigV4 (IAM)'],
    });
    expect(statement.software).toEqual({ name: 'hlc', version: '1.2.3' });
    expect(statement.rest?.[0]?.security?.description).toBe(
      'Every request is authenticated: bearer token or AWS SigV4 (IAM).',
    );
  });

  it('adds Subscription management when wired, and $trigger-subscription when served', () => {
    const managed = capabilityStatement({ ...base, subscriptions: true });
    expect(managed.rest?.[0]?.resource?.at(-1)).toStrictEqual(SUBSCRIPTION);
    const triggered = capabilityStatement({ ...base, subscriptions: true, triggerSubscription: true });
    expect(triggered.rest?.[0]?.resource?.at(-1)).toStrictEqual({
      ...SUBSCRIPTION,
      operation: [
        {
          name: 'trigger-subscription',
          definition: 'http://hapifhir.io/fhir/OperationDefinition/Subscription-trigger-subscription',
          // Both forms: with resourceId/searchUrl, and bodiless (everything the Subscription covers).
          documentation: expect.stringMatching(/resourceId \(Type\/id\) and\/or searchUrl.*Without a body/),
        },
      ],
    });
  });
});
