import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { FhirResource } from '../fhir/types.js';
import { badRequest, invalidOutcome, methodNotAllowed, outcome } from '../fhir/outcomes.js';
import type { FhirRequest, FhirResponse } from '../http/types.js';
import { inspectResource } from '../ingest/routes/inspectResource.js';
import { outcomeResponse } from '../ingest/routes/responses.js';
import type { ScopedRoute } from '../ingest/routes/routeScope.js';
import { TOKEN_SCOPES } from '../http/scopes.js';
import { decideNotification } from '../notifications/decideNotification.js';
import { parseNotificationBundle } from '../notifications/parseNotificationBundle.js';
import type { ReferenceRules } from '../notifications/parseResourceReference.js';
import type { SourceSubscriptionStore } from '../notifications/SourceSubscriptionStore.js';
import type { BackportNotification, NotificationDecision } from '../notifications/types.js';
import { applyDecision, type Applied, type ApplyDeps } from './applyDecision.js';
import { NOTIFICATION_OPERATION } from './constants.js';
import { bookkeepingOptions, decideForSource } from './decideForSource.js';
import { missedCount } from './missedCount.js';
import { NOTIFICATION_OPERATIONS } from './notificationOperations.js';
import type { NotificationObserver, NotificationSource } from './types.js';

export interface NotificationRouteDeps extends ApplyDeps {
  /** The source Subscriptions this connector follows, by id. */
  readonly sources: ReadonlyMap<string, NotificationSource>;
  /** Allowed origins of absolute URLs in notifications (the source server's), and the R4 type list. */
  readonly rules: ReferenceRules;
  readonly states: SourceSubscriptionStore;
  readonly observer?: NotificationObserver;
  readonly now?: () => Date;
  readonly catchUpMarginSeconds?: number;
  /** Seconds a skipped event number may still arrive before it is a gap. */
  readonly gapGraceSeconds?: number;
  /** Run the structure validator on carried resources, as ingest does (default true). */
  readonly validateResources?: boolean;
  /** Seconds a carried `meta.lastUpdated` may lie ahead of the clock (ingest's limit). */
  readonly maxClockSkewSeconds: number;
}

/** Every carried resource checked as an ingest write is; the problems, or the checked resources by entry. */
const checkCarried = (
  notification: BackportNotification,
  deps: NotificationRouteDeps,
  now: Date,
): { issues: OperationOutcomeIssue[]; checked: Map<number, FhirResource> } => {
  const issues: OperationOutcomeIssue[] = [];
  const checked = new Map<number, FhirResource>();
  for (const entry of notification.entries) {
    if (entry.action !== 'upsert') continue;
    const inspection = inspectResource(entry.resource, {
      root: `Bundle.entry[${entry.index}].resource`,
      urlType: entry.ref.resourceType,
      urlId: entry.ref.id,
      validate: deps.validateResources ?? true,
      latestLastUpdated: now.getTime() + deps.maxClockSkewSeconds * 1000,
    });
    if (inspection.ok) checked.set(entry.index, inspection.resource);
    else issues.push(...inspection.issues);
  }
  return { issues, checked };
};

const describe = (
  notification: BackportNotification,
  decision: NotificationDecision,
  applied: Applied,
): string =>
  [
    `${notification.type} for source Subscription ${notification.subscriptionId}: ${decision.disposition}`,
    applied.written > 0 ? `${applied.written} written` : undefined,
    applied.jobId ? `notification job ${applied.jobId}` : undefined,
    applied.reconcileJobs.length > 0 ? `reconcile jobs ${applied.reconcileJobs.join(', ')}` : undefined,
  ]
    .filter(Boolean)
    .join('; ');

/**
 * `POST [base]/$subscription-notification`: the endpoint a source's topic-based Subscription
 * (Subscriptions Backport IG, R4) posts its notifications to. In order, each step changing nothing
 * when it refuses: the Bundle must be a pushed backport notification (400, every problem located); its
 * source Subscription one the connector follows (404); every carried resource must pass ingest's
 * checks (400). Then the source Subscription's state is updated (conditionally, see
 * updateSourceState) after the decision was carried out, so a failure (5xx) leaves the state as it
 * was and the source's retry decides the same again. Answers 200 with an informational outcome.
 *
 * @example
 * const response = await handleNotificationRequest(request, deps);
 */
export const handleNotificationRequest = async (
  request: FhirRequest,
  deps: NotificationRouteDeps,
): Promise<FhirResponse> => {
  if (request.method !== 'POST') {
    return outcomeResponse(methodNotAllowed(`${NOTIFICATION_OPERATION} takes POST of a notification Bundle`));
  }
  const parsed = parseNotificationBundle(request.body, deps.rules);
  if (!parsed.ok) return outcomeResponse(invalidOutcome([...parsed.issues]));
  const notification = parsed.notification;
  if (notification.type === 'query-status' || notification.type === 'query-event') {
    // Answers of the source's $status and $events, which the catch-ups read themselves; never pushed.
    return outcomeResponse(
      badRequest(
        `A ${notification.type} Bundle answers $status or $events; this endpoint takes handshake, heartbeat and event-notification`,
        "Bundle.entry[0].resource.parameter.where(name = 'type')",
      ),
    );
  }
  const source = deps.sources.get(notification.subscriptionId);
  if (!source) {
    return outcomeResponse(
      outcome(
        'not-found',
        `This connector follows no source Subscription ${notification.subscriptionId} (NOTIFICATION_SOURCES)`,
        {
          expression: "Bundle.entry[0].resource.parameter.where(name = 'subscription')",
          status: 404,
        },
      ),
    );
  }
  const clock = (deps.now ?? (() => new Date()))();
  const { issues, checked } = checkCarried(notification, deps, clock);
  if (issues.length > 0) return outcomeResponse(invalidOutcome(issues));

  const now = clock.toISOString();
  const { decision, applied } = await decideForSource(
    deps.states,
    source,
    now,
    (state) => decideNotification(state, notification, { now, ...bookkeepingOptions(deps) }),
    (candidate) => applyDecision(candidate, source, deps, { requestId: request.requestId, checked }),
  );
  if (!decision) throw new Error('Source subscription state vanished');
  deps.observer?.notification?.(decision.disposition);
  const missed = missedCount(decision);
  if (missed > 0) {
    deps.observer?.missed?.(missed);
    deps.logger?.warn('Missed notifications', {
      sourceSubscriptionId: source.subscription,
      disposition: decision.disposition,
      missed,
      gaps: decision.actions.flatMap((action) => (action.kind === 'record-gap' ? [action.range] : [])),
    });
  }
  deps.logger?.info('Notification received', {
    requestId: request.requestId,
    sourceSubscriptionId: source.subscription,
    type: notification.type,
    payload: notification.payload,
    disposition: decision.disposition,
    events: notification.events.map((event) => event.eventNumber),
    written: applied.written,
    jobId: applied.jobId,
  });
  return outcomeResponse(
    outcome('informational', describe(notification, decision, applied), {
      severity: 'information',
      status: 200,
    }),
  );
};

/** The notification endpoint as a route the ingest router plugs in, with the `write` scope a producer holds. */
export const notificationRoute = (deps: NotificationRouteDeps): ScopedRoute => ({
  scope: TOKEN_SCOPES.write,
  path: new RegExp(`^\\${NOTIFICATION_OPERATION}$`),
  operations: NOTIFICATION_OPERATIONS,
  route: (request) => handleNotificationRequest(request, deps),
});
