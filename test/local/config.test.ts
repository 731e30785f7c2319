import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCAL_CONFIG, loadLocalConfig, LocalConfigError, localUsage } from '../../local/config.js';
import { LocalStats } from '../../local/LocalStats.js';
import { startProgress } from '../../local/progress.js';

describe('Local mode configuration', () => {
  it('uses the defaults when neither flags nor environment say otherwise', () => {
    expect(loadLocalConfig([], {})).toEqual(DEFAULT_LOCAL_CONFIG);
  });

  it('takes --additional-healthlake-endpoint more than once, or HLC_ADDITIONAL_HEALTHLAKE_ENDPOINTS comma-separated', () => {
    const a = 'http://127.0.0.1:4600/datastore/storeA/r4/';
    const b = 'http://127.0.0.1:4600/datastore/storeB/r4/';
    expect(
      loadLocalConfig(['--additional-healthlake-endpoint', a, '--additional-healthlake-endpoint', b], {})
        .additionalHealthLakeEndpoints,
    ).toEqual([a, b]);
    expect(
      loadLocalConfig([], { HLC_ADDITIONAL_HEALTHLAKE_ENDPOINTS: `${a}, ${b}` })
        .additionalHealthLakeEndpoints,
    ).toEqual([a, b]);
    // The flag wins over the variable, as every flag does.
    expect(
      loadLocalConfig(['--additional-healthlake-endpoint', b], { HLC_ADDITIONAL_HEALTHLAKE_ENDPOINTS: a })
        .additionalHealthLakeEndpoints,
    ).toEqual([b]);
  });

  it('reads environment variables and lets flags win over them', () => {
    const config = loadLocalConfig(
      ['--api-port', '0', '--unsupported-types', 'Goal, Basic', '--fault-5xx', '0.25'],
      {
        HLC_API_PORT: '9000',
        HLC_HEALTHLAKE_ENDPOINT: 'https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4/',
        HLC_SOURCE_SEED: './seed',
        HLC_SOURCE_STANDIN: 'false',
        AWS_ENDPOINT_URL_STS: 'https://sts.example.test',
      },
    );
    expect(config.apiPort).toBe(0);
    expect(config.unsupportedTypes).toEqual(['Goal', 'Basic']);
    expect(config.faults.serverErrorRate).toBe(0.25);
    expect(config.healthLakeEndpoint).toBe('https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4/');
    expect(config.stsEndpoint).toBe('https://sts.example.test');
    // A seed folder implies the source stand-in.
    expect(config.sourceStandin).toBe(true);
  });

  it('reads the delivery retry timing from flags or environment', () => {
    const config = loadLocalConfig(
      ['--delivery-retry-strategy', 'fixed', '--delivery-retry-base-seconds', '3'],
      {
        HLC_DELIVERY_RETRY_MAX_SECONDS: '9',
      },
    );
    expect(config).toMatchObject({ retryStrategy: 'fixed', retryBaseSeconds: 3, retryMaxSeconds: 9 });
    expect(() => loadLocalConfig(['--delivery-retry-strategy', 'linear'], {})).toThrow('exponential, fixed');
  });

  it('names the flag and the variable of a malformed value', () => {
    expect(() => loadLocalConfig(['--fault-throttle', '2'], {})).toThrow(LocalConfigError);
    expect(() => loadLocalConfig([], { HLC_API_PORT: 'eighty' })).toThrow('--api-port / HLC_API_PORT');
    expect(() => loadLocalConfig(['--log-format', 'xml'], {})).toThrow('pretty, json');
    expect(() => loadLocalConfig(['--no-such-flag'], {})).toThrow(LocalConfigError);
  });

  it('documents every option with its flag and environment variable', () => {
    const usage = localUsage();
    expect(usage).toContain('--healthlake-endpoint');
    expect(usage).toContain('HLC_SQS_ENDPOINT');
  });
});

describe('Local progress line', () => {
  it('counts outcomes and prints a plain line when not on a terminal', () => {
    const stats = new LocalStats();
    stats.ingested = 3;
    stats.settledDone('delivered', 2);
    stats.settledDone('not-supported-dropped');
    stats.received('m1', Date.now() - 5000);
    expect(stats.view().oldestMessageAgeSeconds).toBeGreaterThanOrEqual(5);
    stats.finished('m1');
    expect(stats.view().oldestMessageAgeSeconds).toBeUndefined();
    const written: string[] = [];
    const progress = startProgress(stats, {
      mode: 'auto',
      sink: { write: (text) => written.push(text), isTTY: false },
    });
    progress.stop();
    expect(progress.mode).toBe('lines');
    expect(written.join('')).toContain('[progress] ingested 3  delivered 2');
    expect(written.join('')).toContain('not-supported 1');
  });
});
