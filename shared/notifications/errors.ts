/** Base class of notification errors. Messages never carry resource content. */
export class NotificationError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotificationError';
  }
}

/** Concurrent notifications kept changing a source subscription's state faster than this one could. */
export class SourceStateContendedError extends NotificationError {
  public constructor(subscriptionId: string, attempts: number) {
    super(`Source subscription ${subscriptionId}: state still changing after ${attempts} attempts`);
    this.name = 'SourceStateContendedError';
  }
}
