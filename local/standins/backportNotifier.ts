import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { BACKPORT_STATUS_PROFILE } from '../../shared/notifications/constants.js';
import type { PayloadContent } from '../../shared/notifications/types.js';
import type { FhirStore } from './healthlake/fhirStore.js';

export interface BackportNotifierOptions {
  /** The source server's store: the notifier writes there, then notifies. */
  readonly store: FhirStore;
  /** The source server's base URL (`.../fhir/`): subscription, focus and fullUrls are absolute on it. */
  readonly sourceBaseUrl: string;
  /** Where notifications go: the connector's `[base]/$subscription-notification`. */
  readonly endpoint: string;
  /** Sent as `Authorization: Bearer` (the Subscription's channel.header). */
  readonly token: string;
  readonly subscriptionId: string;
  readonly topic: string;
  readonly payload: PayloadContent;
  /** Seconds between heartbeats; unset = none. */
  readonly heartbeatPeriodSeconds?: number;
  /** Called with each answer's status (tests watch for refusals). */
  readonly onAnswer?: (type: string, status: number) => void;
}

/** What the notifier sent, in order (no resource content). */
export interface SentNotification {
  readonly type: 'handshake' | 'heartbeat' | 'event-notification';
  readonly eventNumber?: number;
  readonly status: number;
}

/**
 * A source server's side of a topic-based Subscription (Subscriptions Backport IG, R4), for local
 * mode and tests: every change made through it is written to the source store and POSTed to the
 * connector as a notification Bundle with the next event number, shaped as the IG's examples are;
 * a handshake at start and heartbeats every period. `skipNextEvent` counts the next change but never
 * sends it, `pauseHeartbeats` goes silent: the two ways notifications get lost.
 *
 * @example
 * const notifier = new BackportNotifier({ store: source.store, sourceBaseUrl: source.endpoint, endpoint, token, subscriptionId: 'admissions', topic, payload: 'full-resource' });
 * await notifier.start();
 * await notifier.put({ resourceType: 'Encounter', id: 'e1', status: 'in-progress', class: { code: 'AMB' } });
 */
export class BackportNotifier {
  public readonly sent: SentNotification[] = [];
  private events = 0;
  private skip = false;
  private heartbeats = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly options: BackportNotifierOptions;

  public constructor(options: BackportNotifierOptions) {
    this.options = options;
  }

  /** The handshake, then heartbeats every period. */
  public async start(): Promise<void> {
    await this.send('handshake', this.bundle('handshake', 'requested', []));
    const period = this.options.heartbeatPeriodSeconds;
    if (period) {
      this.timer = setInterval(() => {
        if (this.heartbeats) void this.heartbeat().catch(() => undefined);
      }, period * 1000);
    }
  }

  public stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Writes the resource to the source (a new version) and notifies the change. */
  public async put(resource: Resource & { id: string }): Promise<number> {
    const { resource: stored } = this.options.store.put(resource);
    return this.event(stored.resourceType, stored.id as string, stored);
  }

  /** Deletes the resource on the source and notifies the deletion. */
  public async delete(resourceType: string, id: string): Promise<number> {
    this.options.store.delete(resourceType, id);
    return this.event(resourceType, id, undefined);
  }

  /** The next change is counted (its event number is used) but its notification is never sent. */
  public skipNextEvent(): void {
    this.skip = true;
  }

  public pauseHeartbeats(): void {
    this.heartbeats = false;
  }

  public resumeHeartbeats(): void {
    this.heartbeats = true;
  }

  public get eventCount(): number {
    return this.events;
  }

  public async heartbeat(): Promise<void> {
    await this.send('heartbeat', this.bundle('heartbeat', 'active', []));
  }

  private async event(resourceType: string, id: string, resource: Resource | undefined): Promise<number> {
    this.events += 1;
    const eventNumber = this.events;
    if (this.skip) {
      this.skip = false;
      return eventNumber;
    }
    const url = `${this.options.sourceBaseUrl}${resourceType}/${id}`;
    const { payload } = this.options;
    const entries: BundleEntry[] =
      payload === 'empty'
        ? []
        : [
            {
              fullUrl: url,
              ...(payload === 'full-resource' && resource ? { resource } : {}),
              request: resource
                ? { method: 'PUT', url: `${resourceType}/${id}` }
                : { method: 'DELETE', url: `${resourceType}/${id}` },
            },
          ];
    const part: ParametersParameter[] = [
      { name: 'event-number', valueString: String(eventNumber) },
      { name: 'timestamp', valueInstant: new Date().toISOString() },
      ...(payload === 'empty' ? [] : [{ name: 'focus', valueReference: { reference: url } }]),
    ];
    await this.send(
      'event-notification',
      this.bundle('event-notification', 'active', [{ name: 'notification-event', part }], entries),
      eventNumber,
    );
    return eventNumber;
  }

  private bundle(
    type: SentNotification['type'],
    status: string,
    extra: ParametersParameter[],
    entries: BundleEntry[] = [],
  ): Bundle {
    const { sourceBaseUrl, subscriptionId, topic } = this.options;
    const id = randomUUID();
    const parameters: Parameters = {
      resourceType: 'Parameters',
      id,
      meta: { profile: [BACKPORT_STATUS_PROFILE] },
      parameter: [
        {
          name: 'subscription',
          valueReference: { reference: `${sourceBaseUrl}Subscription/${subscriptionId}` },
        },
        { name: 'topic', valueCanonical: topic },
        { name: 'status', valueCode: status },
        { name: 'type', valueCode: type },
        { name: 'events-since-subscription-start', valueString: String(this.events) },
        ...extra,
      ],
    };
    return {
      resourceType: 'Bundle',
      type: 'history',
      timestamp: new Date().toISOString(),
      entry: [
        {
          fullUrl: `urn:uuid:${id}`,
          resource: parameters,
          request: { method: 'GET', url: `${sourceBaseUrl}Subscription/${subscriptionId}/$status` },
          response: { status: '200' },
        },
        ...entries,
      ],
    };
  }

  private async send(type: SentNotification['type'], bundle: Bundle, eventNumber?: number): Promise<void> {
    const response = await fetch(this.options.endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(bundle),
    });
    await response.body?.cancel();
    this.sent.push({ type, ...(eventNumber === undefined ? {} : { eventNumber }), status: response.status });
    this.options.onAnswer?.(type, response.status);
  }
}
