import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';

export interface CapabilityOptions {
  /** Resource types accepted for writes (every R4 type the validator knows, minus non-clinical ones). */
  readonly resourceTypes: readonly string[];
  readonly baseUrl: string;
  readonly subscriptions: boolean;
  readonly triggerSubscription: boolean;
  readonly software?: { name: string; version: string };
  readonly authModes: readonly string[];
}

const WRITE_INTERACTIONS: CapabilityStatementRestResource['interaction'] = [
  { code: 'update', documentation: 'Update-as-create. meta.versionId/lastUpdated from the source are kept.' },
  { code: 'create', documentation: 'Server-assigned id (UUID).' },
  { code: 'delete' },
];

/**
 * What the ingest API supports, exactly: writes (create/update/delete, transaction, batch) of
 * clinical types, Subscription management and `$trigger-subscription` when wired, JSON only. No
 * reads or searches: the source server (or HealthLake) serves those.
 */
export const capabilityStatement = (options: CapabilityOptions): CapabilityStatement => {
  const resources: CapabilityStatementRestResource[] = options.resourceTypes.map((type) => ({
    type: type as CapabilityStatementRestResource['type'],
    interaction: WRITE_INTERACTIONS,
    versioning: 'versioned-update',
    readHistory: false,
    updateCreate: true,
    conditionalCreate: false,
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
  }));
  if (options.subscriptions) {
    resources.push({
      type: 'Subscription',
      interaction: [
        { code: 'read' },
        { code: 'search-type' },
        { code: 'create' },
        { code: 'update' },
        { code: 'delete' },
      ],
      updateCreate: true,
      ...(options.triggerSubscription
        ? {
            operation: [
              {
                name: 'trigger-subscription',
                definition: 'http://hapifhir.io/fhir/OperationDefinition/Subscription-trigger-subscription',
                documentation:
                  'Backfill: resourceId (Type/id) and/or searchUrl, read from the source FHIR server.',
              },
            ],
          }
        : {}),
    });
  }
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    ...(options.software ? { software: options.software } : {}),
    implementation: {
      description:
        'HealthLake outbound connector ingest API: accepts FHIR R4 writes and replicates matching ones to Amazon HealthLake. Reads are served by the source FHIR server or HealthLake.',
      url: options.baseUrl,
    },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          description: `Every request is authenticated: ${options.authModes.join(' or ')}.`,
        },
        resource: resources,
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
};
