import { describe, expect, it } from 'vitest';
import { parseEntryUrl } from '../../../../shared/ingest/routes/parseEntryUrl.js';

const BASE = 'https://ingest.example.org/fhir';

describe('Function: parseEntryUrl', () => {
  it('reads a type, or a type and id, from a relative url', () => {
    expect(parseEntryUrl('Patient', BASE)).toStrictEqual({ ok: true, resourceType: 'Patient' });
    expect(parseEntryUrl('Patient/p1', BASE)).toStrictEqual({ ok: true, resourceType: 'Patient', id: 'p1' });
  });

  it('accepts an absolute url under this server base and a leading slash', () => {
    expect(parseEntryUrl(`${BASE}/Observation/o.1`, BASE)).toStrictEqual({
      ok: true,
      resourceType: 'Observation',
      id: 'o.1',
    });
    expect(parseEntryUrl(`${BASE}/Observation`, BASE)).toStrictEqual({
      ok: true,
      resourceType: 'Observation',
    });
    expect(parseEntryUrl('/Patient/p1', BASE)).toStrictEqual({ ok: true, resourceType: 'Patient', id: 'p1' });
  });

  it('refuses an absolute url under another base', () => {
    expect(parseEntryUrl('https://other.example.org/fhir/Patient/p1', BASE)).toStrictEqual({
      ok: false,
      code: 'invalid',
      diagnostics: 'request.url must be [type] or [type]/[id]',
    });
  });

  it.each([undefined, '', 42, { url: 'Patient' }])('requires a url (%s)', (url) => {
    expect(parseEntryUrl(url, BASE)).toStrictEqual({
      ok: false,
      code: 'invalid',
      diagnostics: 'request.url is required',
    });
  });

  it('refuses a search query as a conditional interaction', () => {
    expect(parseEntryUrl('Patient?identifier=a|b', BASE)).toStrictEqual({
      ok: false,
      code: 'not-supported',
      diagnostics: 'Conditional interactions (request.url with a search query) are not supported',
    });
  });

  it.each(['Patient/p1/_history/2', 'patient/p1', 'Patient//p1', '$everything', 'P'])(
    'refuses %s, which is not [type] or [type]/[id]',
    (url) => {
      expect(parseEntryUrl(url, BASE)).toStrictEqual({
        ok: false,
        code: 'invalid',
        diagnostics: 'request.url must be [type] or [type]/[id]',
      });
    },
  );

  it.each(['Patient/', 'Patient/..', 'Patient/a b', `Patient/${'x'.repeat(65)}`])(
    'refuses %s, whose id is not a FHIR id',
    (url) => {
      expect(parseEntryUrl(url, BASE)).toStrictEqual({
        ok: false,
        code: 'invalid',
        diagnostics: 'request.url does not hold a valid FHIR id',
      });
    },
  );
});
