/** A resource that cannot be written to the target under the subscription's replication settings. */
export class ReplicationError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ReplicationError';
  }
}
