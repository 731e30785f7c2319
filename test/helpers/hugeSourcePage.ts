import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HugePageSource {
  /** Base URL of the source (`http://127.0.0.1:{port}/fhir/`). */
  readonly baseUrl: string;
  /** Bytes of body the server managed to hand to its socket before the client stopped reading. */
  bytesWritten(): number;
  /** Resolves when the last answer ended (completed or cut off by the client). */
  answered(): Promise<void>;
  stop(): Promise<void>;
}

const entry = (n: number): string =>
  JSON.stringify({
    resource: { resourceType: 'Patient', id: `huge-${n}`, active: true, name: [{ family: 'X'.repeat(200) }] },
    search: { mode: 'match' },
  });

/**
 * A malicious source stand-in whose every search answers one valid searchset Bundle of `totalBytes`
 * (hundreds of MiB), generated while it is sent and paced by the socket's backpressure, so the test
 * process never holds it: whatever memory grows is the client's. `withLength` also declares the size
 * in Content-Length (a client may refuse it before reading).
 */
export const startHugePageSource = async (options: {
  readonly totalBytes: number;
  readonly withLength?: boolean;
}): Promise<HugePageSource> => {
  let written = 0;
  let done: Promise<void> = Promise.resolve();
  const server: Server = createServer((request, response) => {
    if (request.url?.includes('/metadata')) {
      response.writeHead(200, { 'content-type': 'application/fhir+json' });
      response.end(
        JSON.stringify({
          resourceType: 'CapabilityStatement',
          rest: [{ mode: 'server', resource: [{ type: 'Patient', interaction: [{ code: 'search-type' }] }] }],
        }),
      );
      return;
    }
    const head = '{"resourceType":"Bundle","type":"searchset","entry":[';
    const tail = ']}';
    response.writeHead(200, {
      'content-type': 'application/fhir+json',
      ...(options.withLength ? { 'content-length': String(options.totalBytes) } : {}),
    });
    done = new Promise<void>((resolve) => {
      response.on('close', () => resolve());
      let n = 0;
      let sent = 0;
      const pump = () => {
        while (!response.destroyed) {
          let chunk = n === 0 ? head : '';
          while (chunk.length < 64 * 1024) chunk += `${n === 0 && chunk === head ? '' : ','}${entry(n++)}`;
          if (sent + chunk.length + tail.length >= options.totalBytes) {
            response.end(`${chunk}${tail}`);
            written += chunk.length + tail.length;
            return;
          }
          sent += chunk.length;
          const more = response.write(chunk);
          written += chunk.length;
          if (!more) {
            response.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/fhir/`,
    bytesWritten: () => written,
    answered: () => done,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
