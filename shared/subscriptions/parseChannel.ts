import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.js';
import { allowedEndpoint } from './endpoints.js';
import {
  CHANNEL_ELEMENTS,
  CHANNEL_PRIMITIVES,
  checkElements,
  isObject,
  requireString,
} from './subscriptionStructure.js';

/** `channel.payload` given to a Subscription submitted without one. */
export const DEFAULT_PAYLOAD = 'application/fhir+json';

const CHANNEL_TYPES = new Set(['rest-hook', 'websocket', 'email', 'sms', 'message']);

const PAYLOAD_TYPES: ReadonlySet<string | undefined> = new Set(['application/fhir+json', 'application/json']);

/** `application/fhir+json` or `application/json`, optionally with `fhirVersion=4.0` and a charset. */
const isSupportedPayload = (payload: string): boolean => {
  const [mime, ...parameters] = payload.split(';').map((part) => part.trim().toLowerCase());
  if (!PAYLOAD_TYPES.has(mime)) return false;
  return parameters.every((parameter) => {
    const [name, value] = parameter.split('=').map((part) => part.trim());
    if (name === 'fhirversion') return value === '4.0' || value === '4.0.1';
    return name === 'charset' && value?.replace(/"/g, '') === 'utf-8';
  });
};

/**
 * Checks `Subscription.channel`: a rest-hook to an allow-listed endpoint (the primary data store when
 * absent and one is configured), a JSON payload, headers as strings. Problems go to `issues`, defaults
 * filled in to `warnings`; returns the normalised endpoint (undefined when an issue says why) and the
 * channel elements filled in.
 */
export const parseChannel = (
  channel: unknown,
  context: {
    readonly allowedEndpoints: readonly string[];
    readonly primaryEndpoint?: string;
    /** The data store Smile's module id routes to (moduleEndpoints), used when `endpoint` is absent. */
    readonly moduleEndpoint?: string;
  },
  issues: OperationOutcomeIssue[],
  warnings: OperationOutcomeIssue[],
): { endpoint?: string; filled: Record<string, unknown> } => {
  let endpoint: string | undefined;
  const channelFilled: Record<string, unknown> = {};
  if (channel === undefined) {
    issues.push(issue('required', 'Subscription.channel is required', 'Subscription.channel'));
  } else if (!isObject(channel)) {
    issues.push(issue('invalid', 'Subscription.channel must be an object', 'Subscription.channel'));
  } else {
    checkElements(channel, 'Subscription.channel', CHANNEL_ELEMENTS, CHANNEL_PRIMITIVES, issues);
    const type = requireString(channel.type, 'Subscription.channel.type', issues, true);
    if (type !== undefined && type !== 'rest-hook') {
      issues.push(
        issue(
          CHANNEL_TYPES.has(type) ? 'not-supported' : 'code-invalid',
          'Subscription.channel.type must be rest-hook',
          'Subscription.channel.type',
        ),
      );
    }
    let rawEndpoint: string | undefined;
    if (channel.endpoint === undefined && context.moduleEndpoint !== undefined) {
      rawEndpoint = context.moduleEndpoint;
      channelFilled.endpoint = rawEndpoint;
    } else if (channel.endpoint === undefined && context.primaryEndpoint !== undefined) {
      rawEndpoint = context.primaryEndpoint;
      channelFilled.endpoint = rawEndpoint;
      warnings.push(
        issue(
          'required',
          "Subscription.channel.endpoint is absent; the deployment's primary data store is used",
          'Subscription.channel.endpoint',
          'warning',
        ),
      );
    } else {
      rawEndpoint = requireString(channel.endpoint, 'Subscription.channel.endpoint', issues, true);
    }
    if (rawEndpoint !== undefined) {
      endpoint = allowedEndpoint(rawEndpoint, context.allowedEndpoints);
      if (endpoint === undefined) {
        issues.push(
          issue(
            'business-rule',
            'Subscription.channel.endpoint is not a HealthLake data store endpoint this connector may send to (see ALLOWED_HEALTHLAKE_ENDPOINTS)',
            'Subscription.channel.endpoint',
          ),
        );
      }
    }
    let payload = requireString(channel.payload, 'Subscription.channel.payload', issues, false);
    if (channel.payload === undefined) {
      payload = DEFAULT_PAYLOAD;
      channelFilled.payload = payload;
      warnings.push(
        issue(
          'required',
          `Subscription.channel.payload is absent; ${DEFAULT_PAYLOAD} is used`,
          'Subscription.channel.payload',
          'warning',
        ),
      );
    }
    if (payload !== undefined && !isSupportedPayload(payload)) {
      issues.push(
        issue(
          'not-supported',
          'Subscription.channel.payload must be application/fhir+json (or application/json)',
          'Subscription.channel.payload',
        ),
      );
    }
    if (
      channel.header !== undefined &&
      (!Array.isArray(channel.header) || !channel.header.every((header) => typeof header === 'string'))
    ) {
      issues.push(
        issue(
          'invalid',
          'Subscription.channel.header must be an array of strings',
          'Subscription.channel.header',
        ),
      );
    }
  }
  return { ...(endpoint === undefined ? {} : { endpoint }), filled: channelFilled };
};
