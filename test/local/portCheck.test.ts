import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalConfigError } from '../../local/config.js';
import { startConnector } from '../../local/connector.js';
import { checkLocalPorts } from '../../local/portCheck.js';
import { DEFAULT_LOCAL_CONFIG } from '../../local/config.js';

/** A server holding a port on 127.0.0.1, as another `npm start` would. */
const occupy = async (): Promise<{ server: Server; port: number }> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
};

describe('Local mode: a busy port', () => {
  const held: Server[] = [];
  afterEach(async () => {
    await Promise.all(held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('fails before anything starts, naming --api-port and HLC_API_PORT', async () => {
    const { server, port } = await occupy();
    held.push(server);
    const lines: string[] = [];
    const started = startConnector({ apiPort: port, logWrite: (line) => lines.push(line) });
    await expect(started).rejects.toThrow(LocalConfigError);
    await expect(started).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use (another npm start?): stop that process, or choose another port with --api-port / HLC_API_PORT (0 = any free port)`,
    );
    // Nothing ran before the check: no stand-in, no auto-managed Subscription, not one log line.
    expect(lines).toEqual([]);
  });

  it('names the option of each taken stand-in port at once', async () => {
    const api = await occupy();
    const healthLake = await occupy();
    held.push(api.server, healthLake.server);
    const config = { ...DEFAULT_LOCAL_CONFIG, apiPort: api.port, healthLakePort: healthLake.port };
    const checked = checkLocalPorts(config);
    await expect(checked).rejects.toThrow('--api-port / HLC_API_PORT');
    await expect(checked).rejects.toThrow('--healthlake-port / HLC_HEALTHLAKE_PORT');
  });

  it('lets free and random (0) ports through, and skips the stand-ins a real endpoint replaces', async () => {
    const { server, port } = await occupy();
    held.push(server);
    await expect(checkLocalPorts({ ...DEFAULT_LOCAL_CONFIG, apiPort: 0 })).resolves.toBeUndefined();
    await expect(
      checkLocalPorts({
        ...DEFAULT_LOCAL_CONFIG,
        apiPort: 0,
        healthLakePort: port,
        healthLakeEndpoint: 'https://healthlake.us-east-1.amazonaws.com/datastore/0123/r4/',
      }),
    ).resolves.toBeUndefined();
  });
});
