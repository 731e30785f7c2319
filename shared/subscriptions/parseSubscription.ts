import type { OperationOutcomeIssue, Subscription } from '@medplum/fhirtypes';
import { compileCriteria } from '../criteria/index.js';
import type { CompiledCriteria } from '../criteria/types.js';
import { invalidOutcome, issue, OperationOutcomeError } from '../fhir/outcomes.js';
import { readChannelExtensions, type ChannelSettings } from './channelExtensions.js';
import { coerceExtensionValues } from './coerceExtensionValues.js';
import { parseChannel } from './parseChannel.js';
import { parseStatus } from './parseStatus.js';
import { routeByModule, type ModuleEndpoints } from './moduleEndpoints.js';
import { missingExtensionWarnings } from './recommendedExtensions.js';
import {
  checkArrayOfObjects,
  checkElements,
  findModifierExtensions,
  INSTANT,
  isObject,
  requireString,
  ROOT_ELEMENTS,
  ROOT_PRIMITIVES,
} from './subscriptionStructure.js';
import type { SubscriptionStatus } from './types.js';

/** How a submitted Subscription is being written. */
export interface ParseSubscriptionContext {
  /** `create` (POST: a body id is ignored) or `update` (PUT: the body id must equal `id`). */
  readonly interaction: 'create' | 'update';
  /** The id the resource will have: server-assigned on create, the URL's id on update. */
  readonly id: string;
  /** Data store endpoints `channel.endpoint` may name (normalised or not). */
  readonly allowedEndpoints: readonly string[];
  /** Stored status of the resource being updated; lets a client re-submit `active`/`error` as read. */
  readonly previousStatus?: SubscriptionStatus;
  /** Clock for `end` (default: now). */
  readonly now?: Date;
  /** Criteria compiler (default: shared/criteria `compileCriteria`). */
  readonly compile?: (criteria: string) => CompiledCriteria;
  /**
   * The deployment's primary data store: used (with a warning) when `channel.endpoint` is absent, as in
   * Smile CDR's HealthLake Subscriptions. Undefined = `channel.endpoint` is required.
   */
  readonly primaryEndpoint?: string;
  /** The deployment's delivery retry limit: a larger `delivery-retry-count` is capped, with a warning. */
  readonly maxDeliveryRetryCount?: number;
  /** Smile HealthLake module id -> data store (healthLake.moduleEndpoints): routing by module id. */
  readonly moduleEndpoints?: ModuleEndpoints;
  /** The transforms the deployment allows (delivery.transforms); a Subscription may name only these. */
  readonly transforms?: ReadonlySet<string>;
}

/** `reason` given to a Subscription submitted without one (R4 requires it; Smile's examples omit it). */
export const DEFAULT_REASON = 'Replicate matching resources to Amazon HealthLake';

/** A Subscription that passed validation, with the status the server gives it. */
export interface ParsedSubscription {
  /** The resource to store: `id` and `status` set, `error` cleared, no meta.versionId/lastUpdated yet. */
  readonly resource: Subscription & { id: string; status: SubscriptionStatus };
  readonly compiled: CompiledCriteria;
  readonly settings: ChannelSettings;
  /** `channel.endpoint`, normalised (one trailing slash). */
  readonly endpoint: string;
  /**
   * Warnings and information for the response: defaults filled in, values read from strings,
   * extensions kept but not acted on, a retry count above the deployment's limit, `channel.header`
   * dropped.
   */
  readonly warnings: readonly OperationOutcomeIssue[];
}

/** The warning given when `Subscription.channel.header` values are dropped (never their values). */
export const HEADER_DROPPED_WARNING = issue(
  'informational',
  'Subscription.channel.header was dropped and is never stored: the connector delivers to HealthLake with SigV4 and sends no custom headers, and header values often hold credentials (Authorization: Bearer ...). Remove them from the Subscription you submit.',
  'Subscription.channel.header',
  'warning',
);

/**
 * Validates a submitted Subscription and decides its status. Throws an `OperationOutcomeError`
 * (400) listing every problem, each with an `expression` naming the element; nothing is stored.
 *
 * Rules:
 * - status: a client submits `requested` (becomes `active`) or `off` (stays `off`, still fully
 *   validated). `active`/`error` are accepted only when they equal the stored status
 *   (`previousStatus`), i.e. a client re-submits the resource as it read it; the result is `active`.
 *   A subscription whose `end` has already passed is stored `off` (R4: `end` is when the server
 *   turns it off). `error` is never taken from the client.
 * - criteria: compiled now; criteria the matcher cannot evaluate exactly are a 400 naming the
 *   parameter (the criteria module's issue), never stored as `error`.
 * - channel: `type` must be `rest-hook`; `endpoint` must be on the allow-list (after normalising the
 *   trailing slash) so PHI never goes to a URL the deployment did not name; `payload` must be
 *   `application/fhir+json` or `application/json`; `header` (strings) is accepted but dropped, never
 *   stored or returned (it often holds credentials), with a warning in `warnings`.
 * - HAPI channel extensions are read from channel and root; a wrong value type is a 400.
 * - any `modifierExtension`, and `implicitRules`, are refused (`not-supported`): the connector
 *   cannot honour semantics it does not know. Plain unknown extensions are kept.
 * - elements R4 does not define on Subscription/channel are refused (`structure`).
 *
 * @example
 * const { resource } = parseSubscription(body, { interaction: 'create', id: randomUUID(), allowedEndpoints });
 * resource.status // 'active'
 */
export const parseSubscription = (body: unknown, context: ParseSubscriptionContext): ParsedSubscription => {
  if (!isObject(body) || body.resourceType !== 'Subscription') {
    throw new OperationOutcomeError(
      invalidOutcome([issue('invalid', 'The body must be a Subscription resource', 'Subscription')]),
    );
  }
  const issues: OperationOutcomeIssue[] = [];
  const coerced = coerceExtensionValues(body);
  const warnings = coerced.warnings;
  const input = coerced.subscription;

  const modifiers: string[] = [];
  findModifierExtensions(input, 'Subscription', modifiers);
  for (const path of modifiers) {
    issues.push(issue('not-supported', `${path}: modifier extensions are not supported`, path));
  }
  checkElements(input, 'Subscription', ROOT_ELEMENTS, ROOT_PRIMITIVES, issues);
  if (input.implicitRules !== undefined) {
    issues.push(
      issue('not-supported', 'Subscription.implicitRules is not supported', 'Subscription.implicitRules'),
    );
  }

  if (context.interaction === 'update') {
    if (input.id === undefined) {
      issues.push(issue('required', 'Subscription.id is required on update', 'Subscription.id'));
    } else if (input.id !== context.id) {
      issues.push(issue('invalid', 'Subscription.id must equal the id in the URL', 'Subscription.id'));
    }
  }
  if (input.meta !== undefined && !isObject(input.meta)) {
    issues.push(issue('invalid', 'Subscription.meta must be an object', 'Subscription.meta'));
  }
  requireString(input.language, 'Subscription.language', issues, false);
  if (input.text !== undefined && !isObject(input.text)) {
    issues.push(issue('invalid', 'Subscription.text must be an object', 'Subscription.text'));
  }
  checkArrayOfObjects(input.contained, 'Subscription.contained', issues);
  checkArrayOfObjects(input.contact, 'Subscription.contact', issues);
  requireString(input.reason, 'Subscription.reason', issues, false);
  let filled: Record<string, unknown> = {};
  if (input.reason === undefined) {
    filled = { reason: DEFAULT_REASON };
    warnings.push(
      issue(
        'required',
        'Subscription.reason is absent; a default reason was set',
        'Subscription.reason',
        'warning',
      ),
    );
  }
  if (input.error !== undefined && typeof input.error !== 'string') {
    issues.push(issue('invalid', 'Subscription.error must be a string', 'Subscription.error'));
  }

  // end
  let endMs: number | undefined;
  if (input.end !== undefined) {
    endMs = typeof input.end === 'string' && INSTANT.test(input.end) ? Date.parse(input.end) : Number.NaN;
    if (Number.isNaN(endMs)) {
      issues.push(
        issue('invalid', 'Subscription.end must be a FHIR instant (date, time and zone)', 'Subscription.end'),
      );
      endMs = undefined;
    }
  }

  const status = parseStatus(input.status, context.previousStatus, issues);

  const routing = routeByModule(input, context.moduleEndpoints ?? new Map(), context.allowedEndpoints);
  issues.push(...routing.issues);
  warnings.push(...routing.notes);
  const { endpoint, filled: channelFilled } = parseChannel(
    input.channel,
    { ...context, ...(routing.endpoint === undefined ? {} : { moduleEndpoint: routing.endpoint }) },
    issues,
    warnings,
  );

  const { settings, issues: extensionIssues, notes } = readChannelExtensions(input);
  issues.push(...extensionIssues);
  warnings.push(...notes, ...missingExtensionWarnings(settings));
  issues.push(...transformIssues(settings, context.transforms ?? new Set()));
  const limit = context.maxDeliveryRetryCount;
  if (
    settings.deliveryRetryCount !== undefined &&
    limit !== undefined &&
    settings.deliveryRetryCount > limit
  ) {
    warnings.push(
      issue(
        'business-rule',
        `delivery-retry-count is above this deployment's limit of ${limit} retries; at most ${limit} are made`,
        'Subscription.channel.extension',
        'warning',
      ),
    );
  }

  // criteria (compiled last so structural problems are reported even when it fails)
  let compiled: CompiledCriteria | undefined;
  const criteria = requireString(input.criteria, 'Subscription.criteria', issues, true);
  if (criteria !== undefined) {
    try {
      compiled = (context.compile ?? compileCriteria)(criteria);
    } catch (error) {
      if (!(error instanceof OperationOutcomeError)) throw error;
      for (const criteriaIssue of error.outcome.issue ?? []) {
        issues.push({
          ...criteriaIssue,
          expression: criteriaIssue.expression?.length ? criteriaIssue.expression : ['Subscription.criteria'],
        });
      }
      if (!error.outcome.issue?.length) {
        issues.push(issue('invalid', 'Subscription.criteria cannot be evaluated', 'Subscription.criteria'));
      }
    }
  }

  // Each of status, endpoint and compiled is undefined only when an issue says why.
  if (issues.length > 0 || status === undefined || endpoint === undefined || compiled === undefined) {
    throw new OperationOutcomeError(invalidOutcome(issues));
  }
  warnings.push(...criteriaNotes(compiled));

  // R4: `end` is when the server turns the subscription off (an `off` one stays off).
  const ended = endMs !== undefined && endMs <= (context.now ?? new Date()).getTime();
  const storedStatus: SubscriptionStatus = ended ? 'off' : status;
  const { meta, error: _error, id: _id, channel: submittedChannel, ...rest } = input;
  const keptMeta = isObject(meta) ? withoutVersion(meta) : undefined;
  const kept = withoutHeaders(submittedChannel);
  const headerDropped = kept.headerDropped;
  const resource = {
    ...rest,
    ...filled,
    ...(kept.channel === undefined ? {} : { channel: { ...kept.channel, ...channelFilled } }),
    resourceType: 'Subscription',
    id: context.id,
    ...(keptMeta ? { meta: keptMeta } : {}),
    status: storedStatus,
  } as unknown as Subscription & { id: string; status: SubscriptionStatus };
  if (headerDropped) warnings.push(HEADER_DROPPED_WARNING);
  return { resource, compiled, settings, endpoint, warnings };
};

/** A transform must be allow-listed, and cannot replace payload search's Bundle (which holds many resources). */
const transformIssues = (
  settings: ChannelSettings,
  allowed: ReadonlySet<string>,
): OperationOutcomeIssue[] => {
  if (settings.transform === undefined) return [];
  const issues: OperationOutcomeIssue[] = [];
  if (!allowed.has(settings.transform)) {
    issues.push(
      issue(
        'business-rule',
        allowed.size === 0
          ? 'subscription-transform names a transform, and this deployment allows none (delivery.transforms)'
          : `subscription-transform names a transform this deployment does not allow (delivery.transforms lists ${[...allowed].join(', ')})`,
        'Subscription.extension',
      ),
    );
  }
  if (settings.payloadSearchCriteria !== undefined) {
    issues.push(
      issue(
        'not-supported',
        'subscription-transform cannot be combined with subscription-payload-search-criteria',
        'Subscription.extension',
      ),
    );
  }
  return issues;
};

/**
 * What the response says about the criteria: each result parameter ignored (a warning), and the
 * parameters left to the source server (information: a search there per matching write). Names only.
 */
const criteriaNotes = (compiled: CompiledCriteria): OperationOutcomeIssue[] => [
  ...(compiled.ignoredParameters ?? []).map((name) =>
    issue(
      'informational',
      `${name} is a result parameter: it selects no resources, so it is ignored`,
      'Subscription.criteria',
      'warning',
    ),
  ),
  ...(compiled.sourceParameters?.length
    ? [
        issue(
          'informational',
          `${compiled.sourceParameters.join(', ')} cannot be evaluated on the resource alone: before a write that matches the rest of the criteria is delivered, the deliverer searches the source FHIR server for it (Type?_id={id}&criteria) and delivers it only if the source finds it`,
          'Subscription.criteria',
          'information',
        ),
      ]
    : []),
];

/** The channel without `header` / `_header` (values never kept), and whether there were any. */
export const withoutHeaders = (
  channel: unknown,
): { channel: Record<string, unknown> | undefined; headerDropped: boolean } => {
  if (!isObject(channel)) return { channel: undefined, headerDropped: false };
  const { header, _header, ...kept } = channel;
  return { channel: kept, headerDropped: header !== undefined || _header !== undefined };
};

/** meta without the elements the store owns; undefined when nothing else is left. */
const withoutVersion = (meta: Record<string, unknown>): Record<string, unknown> | undefined => {
  const { versionId: _versionId, lastUpdated: _lastUpdated, ...rest } = meta;
  return Object.keys(rest).length > 0 ? rest : undefined;
};
