import { afterEach, describe, expect, it } from 'vitest';
import { PermanentSourceError, SourceConfigurationError } from '../../../shared/fhirClient/errors.js';
import { oauth2ClientCredentials } from '../../../shared/fhirClient/oauth2ClientCredentials.js';
import { bearerAuth } from '../../../shared/fhirClient/SourceAuth.js';
import { FhirClient } from '../../../shared/fhirClient/FhirClient.js';
import type { FakeHttpServer } from './fakeHttpServer.js';
import { json, startFakeHttpServer } from './fakeHttpServer.js';

const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

/** A source that answers every request 302 to `elsewhere`, and `elsewhere`, which must hear nothing. */
const redirectingPair = async () => {
  const elsewhere = await startFakeHttpServer((_request, _body, response) =>
    json(response, 200, { resourceType: 'Bundle', type: 'searchset', entry: [] }),
  );
  const source = await startFakeHttpServer((request, _body, response) => {
    response.writeHead(302, { location: `${elsewhere.url}${request.url ?? '/'}` });
    response.end();
  });
  return { source, elsewhere };
};

describe('Redirects: backfill reads and the OAuth2 token request never follow them', () => {
  const servers: FakeHttpServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  for (const kind of ['search', 'read'] as const) {
    it(`treats a 302 to a ${kind} as a permanent source error, and the other port receives nothing`, async () => {
      const { source, elsewhere } = await redirectingPair();
      servers.push(source, elsewhere);
      const client = new FhirClient({
        baseUrl: `${source.url}/fhir`,
        auth: bearerAuth('secret-session-token'),
        retry: fast,
      });
      const attempt =
        kind === 'search'
          ? client.searchPage(client.resolveSearchUrl('Patient?identifier=123-45-6789'))
          : client.read('Patient', 'p1');
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PermanentSourceError);
      expect((error as Error).message).toContain('HTTP 302 (a redirect)');
      expect((error as Error).message).not.toContain('123-45-6789');
      expect(source.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
    });
  }

  it('refuses a token endpoint redirect without sending the client secret on', async () => {
    const { source, elsewhere } = await redirectingPair();
    servers.push(source, elsewhere);
    const auth = oauth2ClientCredentials({
      tokenUrl: `${source.url}/token`,
      clientId: 'connector',
      clientSecret: 'client-secret',
    });
    const error = await auth
      .headers({ method: 'GET', url: new URL('http://127.0.0.1/fhir/Patient/1') })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect((error as Error).message).toContain('HTTP 302 (a redirect)');
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('OAuth2 token URL', () => {
  const options = { clientId: 'connector', clientSecret: 'client-secret' };

  it('must be https, at configuration time', () => {
    expect(() => oauth2ClientCredentials({ ...options, tokenUrl: 'http://auth.example.org/token' })).toThrow(
      SourceConfigurationError,
    );
    expect(() => oauth2ClientCredentials({ ...options, tokenUrl: 'not a url' })).toThrow(
      SourceConfigurationError,
    );
    expect(() =>
      oauth2ClientCredentials({ ...options, tokenUrl: 'https://auth.example.org/token' }),
    ).not.toThrow();
  });

  it('may be http on loopback only (local mode)', () => {
    for (const tokenUrl of [
      'http://127.0.0.1:8081/token',
      'http://localhost/token',
      'http://[::1]:9/token',
    ]) {
      expect(() => oauth2ClientCredentials({ ...options, tokenUrl })).not.toThrow();
    }
    expect(() =>
      oauth2ClientCredentials({ ...options, tokenUrl: 'http://127.0.0.1.example.org/token' }),
    ).toThrow(SourceConfigurationError);
  });
});
