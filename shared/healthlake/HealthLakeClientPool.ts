import type { CredentialProvider } from './credentials.js';
import { HealthLakeClient, type HealthLakeClientOptions } from './HealthLakeClient.js';

/**
 * One keep-alive `HealthLakeClient` per data store endpoint, created on first use and kept for the life
 * of the Lambda instance (messages name their endpoint; usually there is one).
 */
export class HealthLakeClientPool {
  private readonly clients = new Map<string, HealthLakeClient>();

  public constructor(
    private readonly options: Omit<HealthLakeClientOptions, 'endpoint' | 'credentials'> & {
      readonly credentials: CredentialProvider;
    },
  ) {}

  /** The client of `endpoint`. */
  public get(endpoint: string): HealthLakeClient {
    let client = this.clients.get(endpoint);
    if (!client) {
      client = new HealthLakeClient({ ...this.options, endpoint });
      this.clients.set(endpoint, client);
    }
    return client;
  }

  /** Closes every client's sockets. */
  public destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}
