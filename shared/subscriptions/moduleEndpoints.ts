import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { SMILE_EXTENSIONS } from '../config/constants.js';
import { parseNamedEntries } from '../config/parseNamedEntries.js';
import { issue } from '../fhir/outcomes.js';
import { normalizeEndpoint } from './endpoints.js';

/** A Smile CDR module id: letters, digits, `_`, `.`, `-` (Smile's own ids, e.g. `endpoint_awshealthlake_out`). */
export const MODULE_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Smile HealthLake module id -> the data store endpoint (normalised) it stands for here. */
export type ModuleEndpoints = ReadonlyMap<string, string>;

/**
 * Parses `moduleId=endpoint` entries, comma-separated (env HEALTHLAKE_MODULE_ENDPOINTS, written from
 * `healthLake.moduleEndpoints`). Throws naming the position of a bad entry, never its value.
 *
 * @example
 * parseModuleEndpoints('cdr_a=https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4/')
 */
export const parseModuleEndpoints = (raw: string): Map<string, string> =>
  parseNamedEntries(raw, {
    namePattern: MODULE_ID_PATTERN,
    value: normalizeEndpoint,
    entry: 'Module endpoint',
    shape: 'moduleId=https://... (a module id and a data store URL)',
    name: 'module id',
  });

/** A module mapped to a data store outside the allow-list: what is wrong, for a start-up error. */
export const moduleEndpointProblems = (
  moduleEndpoints: ModuleEndpoints | undefined,
  allowedEndpoints: readonly string[] | undefined,
): string[] => {
  const allowed = new Set((allowedEndpoints ?? []).map(normalizeEndpoint));
  return [...(moduleEndpoints ?? new Map<string, string>()).entries()]
    .filter(([, endpoint]) => !allowed.has(endpoint))
    .map(
      ([id]) =>
        `module ${id} of HEALTHLAKE_MODULE_ENDPOINTS maps to a data store not on ALLOWED_HEALTHLAKE_ENDPOINTS`,
    );
};

/** Where Smile's `subscription-channel-awshealthlake-sender-module-id` was found, and its value. */
interface ModuleIdExtension {
  readonly at: string;
  readonly value: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The sender-module-id extension on `channel.extension` (where Smile writes it) or `Subscription.extension`. */
const findModuleIdExtension = (subscription: Record<string, unknown>): ModuleIdExtension | undefined => {
  const channel = subscription.channel;
  const places: [unknown, string][] = [
    [isObject(channel) ? channel.extension : undefined, 'Subscription.channel.extension'],
    [subscription.extension, 'Subscription.extension'],
  ];
  for (const [list, path] of places) {
    if (!Array.isArray(list)) continue;
    const index = list.findIndex(
      (extension: unknown) =>
        isObject(extension) && extension.url === SMILE_EXTENSIONS.healthLakeSenderModuleId,
    );
    if (index >= 0)
      return { at: `${path}[${index}]`, value: (list[index] as Record<string, unknown>).valueString };
  }
  return undefined;
};

/** What routing by module id decided: the endpoint to fill in, and problems or notes for the answer. */
export interface ModuleRouting {
  /** The module's data store, to use when `channel.endpoint` is absent. */
  readonly endpoint?: string;
  readonly issues: OperationOutcomeIssue[];
  readonly notes: OperationOutcomeIssue[];
}

/**
 * Routes a Subscription by Smile's `subscription-channel-awshealthlake-sender-module-id`, as Smile does
 * with several HealthLake modules: the module's data store (from `moduleEndpoints`) is its endpoint.
 * - known module: its data store, when `channel.endpoint` is absent; a `channel.endpoint` naming another
 *   one is refused (the Subscription would say two things);
 * - unknown module while `moduleEndpoints` is configured: refused, never defaulted;
 * - no `moduleEndpoints`: a deployment with one data store has nowhere else to send it (the primary data
 *   store applies, as before); one with several refuses an endpoint-less Subscription, which could land
 *   in the wrong one.
 *
 * @example
 * routeByModule(subscription, new Map([['cdr_a', storeA]]), [storeA, storeB]).endpoint // storeA
 */
export const routeByModule = (
  subscription: Record<string, unknown>,
  moduleEndpoints: ModuleEndpoints,
  allowedEndpoints: readonly string[],
): ModuleRouting => {
  const found = findModuleIdExtension(subscription);
  if (!found) return { issues: [], notes: [] };
  const { at, value } = found;
  if (typeof value !== 'string' || !MODULE_ID_PATTERN.test(value)) {
    return {
      issues: [
        issue(
          'invalid',
          `${at}: awshealthlake-sender-module-id needs a valueString module id (letters, digits, _ . -)`,
          at,
        ),
      ],
      notes: [],
    };
  }
  const channel = isObject(subscription.channel) ? subscription.channel : {};
  const given = typeof channel.endpoint === 'string' ? normalizeEndpoint(channel.endpoint) : undefined;
  const mapped = moduleEndpoints.get(value);
  if (mapped !== undefined) {
    if (channel.endpoint !== undefined && given !== mapped) {
      return {
        issues: [
          issue(
            'business-rule',
            `Subscription.channel.endpoint is not the data store healthLake.moduleEndpoints names for the module in ${at}: give one or the other, or the same`,
            'Subscription.channel.endpoint',
          ),
        ],
        notes: [],
      };
    }
    return {
      endpoint: mapped,
      issues: [],
      notes: [
        issue(
          'informational',
          `${at}: delivered to the data store healthLake.moduleEndpoints names for this Smile module`,
          at,
          'information',
        ),
      ],
    };
  }
  if (moduleEndpoints.size > 0) {
    return {
      issues: [
        issue(
          'business-rule',
          `${at}: awshealthlake-sender-module-id names a module healthLake.moduleEndpoints does not list (it lists ${[...moduleEndpoints.keys()].join(', ')}); an unknown module is never sent to a default data store`,
          at,
        ),
      ],
      notes: [],
    };
  }
  if (channel.endpoint === undefined && new Set(allowedEndpoints.map(normalizeEndpoint)).size > 1) {
    return {
      issues: [
        issue(
          'business-rule',
          `${at}: this deployment has several data stores and no healthLake.moduleEndpoints to route Smile modules by: map the module id to its data store, or give Subscription.channel.endpoint`,
          at,
        ),
      ],
      notes: [],
    };
  }
  return { issues: [], notes: [] };
};
