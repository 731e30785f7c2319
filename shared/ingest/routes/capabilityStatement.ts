import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceOperation,
} from '@medplum/fhirtypes';
import type { FhirOperation } from './operations.js';

export interface CapabilityOptions {
  /** Resource types accepted for writes (every R4 type the validator knows, minus non-clinical ones). */
  readonly resourceTypes: readonly string[];
  readonly baseUrl: string;
  readonly subscriptions: boolean;
  readonly triggerSubscription: boolean;
  /** The operations the plugged-in routes serve (`DeclaredRoute`). @default [] */
  readonly operations?: readonly FhirOperation[];
  readonly software?: { name: string; version: string };
  readonly authModes: readonly string[];
}

const WRITE_INTERACTIONS: CapabilityStatementRestResource['interaction'] = [
  { code: 'update', documentation: 'Update-as-create. meta.versionId/lastUpdated from the source are kept.' },
  { code: 'create', documentation: 'Server-assigned id (UUID).' },
  { code: 'delete' },
];

/** `$trigger-subscription` as HAPI FHIR defines it, with and without parameters. */
export const TRIGGER_SUBSCRIPTION_OPERATION: FhirOperation = {
  name: 'trigger-subscription',
  on: 'Subscription',
  definition: 'http://hapifhir.io/fhir/OperationDefinition/Subscription-trigger-subscription',
  documentation:
    'POST [base]/Subscription/{id}/$trigger-subscription: backfill from the source FHIR server. With a Parameters body: resourceId (Type/id) and/or searchUrl. Without a body (or with neither parameter): everything the Subscription covers. 202 with the job id; read it at [base]/$backfill-job/{jobId}.',
};

const listed = (operations: readonly FhirOperation[]): CapabilityStatementRestResourceOperation[] =>
  operations.map(({ name, definition, documentation }) => ({ name, definition, documentation }));

/**
 * What the ingest API supports, exactly: writes (create/update/delete, transaction, batch) of
 * clinical types, Subscription management and `$trigger-subscription` when wired, the operations
 * the plugged-in routes declare, JSON only. No reads or searches: the source server (or HealthLake)
 * serves those.
 */
export const capabilityStatement = (options: CapabilityOptions): CapabilityStatement => {
  const operations = options.operations ?? [];
  const on = (where: FhirOperation['on']) => operations.filter((operation) => operation.on === where);
  const clinical = listed(on('clinical'));
  const subscriptionOperations = on('Subscription');
  if (
    options.triggerSubscription &&
    !subscriptionOperations.some((op) => op.name === 'trigger-subscription')
  ) {
    subscriptionOperations.unshift(TRIGGER_SUBSCRIPTION_OPERATION);
  }
  const system = listed(on('system'));
  const resources: CapabilityStatementRestResource[] = options.resourceTypes.map((type) => ({
    type: type as CapabilityStatementRestResource['type'],
    interaction: WRITE_INTERACTIONS,
    ...(clinical.length > 0 ? { operation: clinical } : {}),
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
      ...(subscriptionOperations.length > 0 ? { operation: listed(subscriptionOperations) } : {}),
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
        ...(system.length > 0 ? { operation: system } : {}),
      },
    ],
  };
};
