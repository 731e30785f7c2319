import type { Disposition } from '../notifications/types.js';

/** A Subscription on the source server whose backport notifications the connector receives. */
export interface NotificationSource {
  /** The source Subscription's id (the `subscription` parameter of its notifications). */
  readonly subscription: string;
  /**
   * The topic's resource types: what a catch-up reads with history `_since`. Empty: a catch-up is a
   * reconcile compare of the connector's Subscriptions instead.
   */
  readonly resourceTypes: readonly string[];
  /** The heartbeat period the source Subscription asks for (`backport-heartbeat-period`), seconds. */
  readonly heartbeatPeriodSeconds?: number;
  /** Whether the source serves `Subscription/{id}/$events` (HAPI FHIR does not). */
  readonly events: boolean;
}

/** Counts the intake reports (the Lambdas publish them as metrics). */
export interface NotificationObserver {
  /** A notification answered, and what it meant. */
  notification?(disposition: Disposition): void;
  /**
   * Signs of lost notifications: each skipped event number, each overdue heartbeat, each first
   * `error` status, each restarted counter. The `MissedNotifications` metric and alarm.
   */
  missed?(count: number): void;
}
