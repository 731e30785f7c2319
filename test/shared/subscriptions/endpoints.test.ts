import { describe, expect, it } from 'vitest';
import {
  allowedEndpoint,
  normalizeEndpoint,
  parseAllowedEndpoints,
} from '../../../shared/subscriptions/endpoints.js';

const DATASTORE = 'https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4/';

describe('Function: normalizeEndpoint', () => {
  it.each([
    [
      'a datastore URL gains one trailing slash',
      'https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4',
      DATASTORE,
    ],
    [
      'scheme and host are lower-cased',
      'HTTPS://HealthLake.US-EAST-1.amazonaws.com/datastore/abc/r4',
      DATASTORE,
    ],
    ['surrounding whitespace is ignored', `  ${DATASTORE}\n`, DATASTORE],
    // A value pasted from a document may end in a no-break space, which URL parsing alone would keep.
    ['a surrounding no-break space is ignored', `\u00a0${DATASTORE}\u00a0`, DATASTORE],
    [
      'repeated trailing slashes become one',
      'https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4///',
      DATASTORE,
    ],
    [
      'the default https port is dropped',
      'https://healthlake.us-east-1.amazonaws.com:443/datastore/abc/r4',
      DATASTORE,
    ],
    ['the default http port is dropped', 'http://127.0.0.1:80/r4', 'http://127.0.0.1/r4/'],
    ['another port is kept', 'http://127.0.0.1:4566/r4', 'http://127.0.0.1:4566/r4/'],
    ['a bare host gets the root path', 'https://example.org', 'https://example.org/'],
    ['inner slashes are kept', 'https://example.org/a//b/', 'https://example.org/a//b/'],
  ])('%s', (_label, input, expected) => {
    expect(normalizeEndpoint(input)).toBe(expected);
  });

  it.each([
    ['not a URL', 'healthlake datastore'],
    ['an empty string', ''],
    ['another scheme', 'ftp://example.org/r4'],
    ['a user name', 'https://user@example.org/r4'],
    ['a password', 'https://:secret@example.org/r4'],
    ['a query', 'https://example.org/r4?_format=json'],
    ['a fragment', 'https://example.org/r4#top'],
    ['a bare question mark', 'https://example.org/r4?'],
    ['a bare hash', 'https://example.org/r4#'],
  ])('refuses %s', (_label, input) => {
    expect(normalizeEndpoint(input)).toBeUndefined();
  });
});

describe('Function: parseAllowedEndpoints', () => {
  it('normalises every entry of a comma-separated list, skipping blanks', () => {
    expect(parseAllowedEndpoints(` ${DATASTORE.toUpperCase()}, ,http://127.0.0.1:4566/r4,`)).toEqual([
      // scheme and host lower-cased, the path's case kept
      'https://healthlake.us-east-1.amazonaws.com/DATASTORE/ABC/R4/',
      'http://127.0.0.1:4566/r4/',
    ]);
  });

  it('accepts a list of entries (from the config file)', () => {
    expect(parseAllowedEndpoints(['https://example.org/r4', ' ', 'http://localhost:8080/fhir//'])).toEqual([
      'https://example.org/r4/',
      'http://localhost:8080/fhir/',
    ]);
  });

  it('gives an empty allow-list for an empty value', () => {
    expect(parseAllowedEndpoints('')).toEqual([]);
    expect(parseAllowedEndpoints([])).toEqual([]);
  });

  it('names the position of an invalid entry (blanks not counted) without quoting it', () => {
    // The whole message is fixed: the entry itself (here with a password) is never echoed.
    expect(() =>
      parseAllowedEndpoints('https://example.org/r4, ,https://user:hunter2@example.org/r4'),
    ).toThrow(new Error('Allowed endpoint #2 is not an http(s) URL without query or credentials'));
    expect(() => parseAllowedEndpoints(['ftp://example.org/r4'])).toThrow(
      new Error('Allowed endpoint #1 is not an http(s) URL without query or credentials'),
    );
  });
});

describe('Function: allowedEndpoint', () => {
  const allowList = [
    'https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4',
    'http://127.0.0.1:4566/r4/',
  ];

  it('answers the normalised endpoint when it is on the list, however either is written', () => {
    expect(
      allowedEndpoint('HTTPS://healthlake.us-east-1.amazonaws.com:443/datastore/abc/r4//', allowList),
    ).toBe(DATASTORE);
    expect(allowedEndpoint('http://127.0.0.1:4566/r4', allowList)).toBe('http://127.0.0.1:4566/r4/');
  });

  it('refuses an endpoint that is not on the list', () => {
    expect(
      allowedEndpoint('https://healthlake.us-east-1.amazonaws.com/datastore/xyz/r4', allowList),
    ).toBeUndefined();
    expect(allowedEndpoint('http://127.0.0.1:4567/r4', allowList)).toBeUndefined();
  });

  it('refuses an invalid endpoint even when the list has an invalid entry too', () => {
    expect(allowedEndpoint('not a url', ['not a url'])).toBeUndefined();
    expect(allowedEndpoint(DATASTORE, [])).toBeUndefined();
  });

  it('allows a sql:// target only when the list names exactly that target', () => {
    const withSql = [...allowList, 'sql://warehouse'];
    expect(allowedEndpoint('sql://warehouse', withSql)).toBe('sql://warehouse');
    expect(allowedEndpoint('sql://warehouse/', withSql)).toBe('sql://warehouse');
    expect(allowedEndpoint('sql://other', withSql)).toBeUndefined();
    expect(allowedEndpoint('sql://warehouse', allowList)).toBeUndefined();
    // Not a target name: upper case, a path, credentials or a host with a port are never SQL targets.
    for (const endpoint of [
      'sql://Warehouse',
      'sql://warehouse/x',
      'sql://u:p@warehouse',
      'sql://warehouse:5432',
    ])
      expect(allowedEndpoint(endpoint, [...withSql, endpoint])).toBeUndefined();
  });

  it('never lets a sql:// entry allow an http(s) endpoint, or the reverse', () => {
    expect(allowedEndpoint('https://warehouse/', ['sql://warehouse'])).toBeUndefined();
    expect(allowedEndpoint('sql://warehouse', ['https://warehouse/'])).toBeUndefined();
  });
});
