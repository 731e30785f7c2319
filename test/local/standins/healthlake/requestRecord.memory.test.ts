import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_RECORDED_REQUESTS,
  startFhirSourceStandin,
} from '../../../../local/standins/healthlake/index.js';

describe('FHIR stand-in (recorded requests)', () => {
  it('keeps the newest requests only, up to a tenth over its limit between trims', async () => {
    const standin = await startFhirSourceStandin({ maxRecordedRequests: 20 });
    try {
      for (let index = 0; index < 100; index += 1) {
        const response = await fetch(`${standin.endpoint}Patient/p${index}`);
        expect(response.status).toBe(404);
        expect(standin.requests.length).toBeLessThanOrEqual(22);
      }
      expect(standin.requests.at(-1)).toMatchObject({ seq: 100, path: 'Patient/p99' });
      expect(standin.requests.map((request) => request.seq)).toEqual(
        Array.from({ length: standin.requests.length }, (_, index) => 101 - standin.requests.length + index),
      );
    } finally {
      await standin.stop();
    }
  });

  it('keeps 100,000 by default', () => {
    expect(DEFAULT_MAX_RECORDED_REQUESTS).toBe(100_000);
  });
});
