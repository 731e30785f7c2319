import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../../bin/runCli.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../../shared/fhirClient/constants.js';
import { PermanentSourceError } from '../../../shared/fhirClient/errors.js';
import { FhirClient } from '../../../shared/fhirClient/FhirClient.js';
import { createHealthLakeReader } from '../../../shared/healthlake/createHealthLakeReader.js';
import { startHugePageSource, type HugePageSource } from '../../helpers/hugeSourcePage.js';
import { json, startFakeHttpServer } from './fakeHttpServer.js';

const MiB = 1024 * 1024;
let source: HugePageSource | undefined;
afterEach(async () => {
  await source?.stop();
  source = undefined;
});

describe('FhirClient: response byte cap', () => {
  it('cuts a page off at the default cap of 32 MiB while it streams, permanently and naming the cap', async () => {
    source = await startHugePageSource({ totalBytes: 200 * MiB });
    const client = new FhirClient({ baseUrl: source.baseUrl, requestsPerSecond: 0 });
    const failure = client.searchPage(client.resolveSearchUrl('Patient?'));
    await expect(failure).rejects.toThrow(PermanentSourceError);
    await expect(failure).rejects.toThrow(`more than ${DEFAULT_MAX_RESPONSE_BYTES} bytes to a search`);
    await source.answered();
    expect(source.bytesWritten()).toBeLessThan(DEFAULT_MAX_RESPONSE_BYTES + 16 * MiB);
  });

  it('refuses an answer whose Content-Length is past the cap before reading it', async () => {
    source = await startHugePageSource({ totalBytes: 200 * MiB, withLength: true });
    const client = new FhirClient({ baseUrl: source.baseUrl, requestsPerSecond: 0, maxResponseBytes: MiB });
    await expect(client.searchPage(client.resolveSearchUrl('Patient?'))).rejects.toThrow(
      `more than ${MiB} bytes`,
    );
    await source.answered();
    expect(source.bytesWritten()).toBeLessThan(16 * MiB);
  });

  it('reads an answer under the cap as before', async () => {
    const server = await startFakeHttpServer((_request, _body, response) =>
      json(response, 200, { resourceType: 'Patient', id: 'p1' }),
    );
    try {
      const client = new FhirClient({ baseUrl: server.url, requestsPerSecond: 0, maxResponseBytes: 65_536 });
      expect(await client.read('Patient', 'p1')).toEqual({ resourceType: 'Patient', id: 'p1' });
    } finally {
      await server.stop();
    }
  });

  it('caps what the HealthLake reader (reconcile) reads too', async () => {
    source = await startHugePageSource({ totalBytes: 200 * MiB });
    const reader = createHealthLakeReader({
      endpoint: source.baseUrl,
      region: 'us-east-1',
      credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
      requestsPerSecond: 0,
      maxResponseBytes: 2 * MiB,
    });
    await expect(reader.searchPage(reader.resolveSearchUrl('Patient?_elements=id,meta'))).rejects.toThrow(
      `more than ${2 * MiB} bytes`,
    );
  });

  it('hlc sync stops at --max-response-bytes with the cause, and writes nothing', async () => {
    source = await startHugePageSource({ totalBytes: 200 * MiB });
    const ingest = await startFakeHttpServer((_request, _body, response) => json(response, 201, {}));
    try {
      const out: string[] = [];
      const io: CliIo = {
        out: (line) => out.push(line),
        err: (line) => out.push(line),
        isTTY: false,
        env: {},
      };
      const code = await runCli(
        [
          'sync',
          source.baseUrl,
          '--type',
          'Patient',
          '--max-response-bytes',
          String(MiB),
          '--api',
          ingest.url,
        ],
        io,
      );
      expect(code).toBe(1);
      expect(out.join('\n')).toContain(
        `more than ${MiB} bytes to a search, the response cap (maxResponseBytes)`,
      );
      expect(ingest.requests).toEqual([]);
    } finally {
      await ingest.stop();
    }
  });
});
