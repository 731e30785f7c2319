import { describe, expect, it } from 'vitest';
import {
  describeRequestError,
  originOf,
  RequestFailedError,
} from '../../../shared/operator/describeRequestError.js';

const URL_WITH_QUERY = 'http://127.0.0.1:8080/Patient?name=Smith&birthdate=1970-01-01';
const ORIGIN = 'http://127.0.0.1:8080';

/** fetch's own shape: a TypeError "fetch failed" whose cause carries the socket error's code. */
const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });
const coded = (code: unknown) => Object.assign(new Error('socket'), { code });

describe('originOf', () => {
  it('keeps scheme, host and port, never the path or query', () => {
    expect(originOf(URL_WITH_QUERY)).toBe(ORIGIN);
    expect(originOf('https://user:secret@fhir.example.org/r4/Patient/1')).toBe('https://fhir.example.org');
  });

  it('says "the given URL" for what is not a URL', () => {
    expect(originOf('not a url')).toBe('the given URL');
    expect(originOf('')).toBe('the given URL');
  });
});

describe('describeRequestError', () => {
  it('puts Node network codes in words, at the origin only', () => {
    expect(describeRequestError(fetchFailed(coded('ECONNREFUSED')), URL_WITH_QUERY)).toBe(
      `${ORIGIN}: connection refused (nothing listens there)`,
    );
    expect(describeRequestError(fetchFailed(coded('ENOTFOUND')), URL_WITH_QUERY)).toBe(
      `${ORIGIN}: host not found (DNS)`,
    );
    expect(describeRequestError(fetchFailed(coded('ERR_TLS_CERT_ALTNAME_INVALID')), URL_WITH_QUERY)).toBe(
      `${ORIGIN}: its TLS certificate is for another host name`,
    );
  });

  it('shows a code it has no words for as it is', () => {
    expect(describeRequestError(fetchFailed(coded('EPIPE')), URL_WITH_QUERY)).toBe(`${ORIGIN}: EPIPE`);
  });

  it('reads the code on the error itself before its cause', () => {
    const outer = Object.assign(new Error('outer'), { code: 'ECONNRESET', cause: coded('ENOTFOUND') });
    expect(describeRequestError(outer, URL_WITH_QUERY)).toBe(`${ORIGIN}: the connection was reset`);
  });

  it('follows causes a few levels down, and takes the first failure of an AggregateError', () => {
    const nested = fetchFailed(
      new Error('middle', { cause: new Error('inner', { cause: coded('ETIMEDOUT') }) }),
    );
    expect(describeRequestError(nested, URL_WITH_QUERY)).toBe(`${ORIGIN}: connection timed out`);
    // Happy eyeballs: one failure per address tried.
    const aggregate = fetchFailed(
      new AggregateError([coded('EHOSTUNREACH'), coded('ENETUNREACH')], 'all failed'),
    );
    expect(describeRequestError(aggregate, URL_WITH_QUERY)).toBe(`${ORIGIN}: host unreachable`);
  });

  it('stops after five levels and then uses the message', () => {
    let error: unknown = coded('ECONNREFUSED');
    for (let level = 0; level < 4; level += 1) error = new Error(`level ${level}`, { cause: error });
    // The code sits at depth 4: the fifth error read.
    expect(describeRequestError(error, URL_WITH_QUERY)).toBe(
      `${ORIGIN}: connection refused (nothing listens there)`,
    );
    const deeper = new Error('too deep', { cause: error });
    expect(describeRequestError(deeper, URL_WITH_QUERY)).toBe(`${ORIGIN}: too deep`);
  });

  it('ignores a code that is not a string, and an errors list that is not an array', () => {
    expect(describeRequestError(fetchFailed(coded(111)), URL_WITH_QUERY)).toBe(`${ORIGIN}: fetch failed`);
    const notArray = Object.assign(new Error('odd'), { errors: { 0: coded('ECONNREFUSED') } });
    expect(describeRequestError(notArray, URL_WITH_QUERY)).toBe(`${ORIGIN}: odd`);
  });

  it('says a timeout or an abort is no answer in time', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(describeRequestError(timeout, URL_WITH_QUERY)).toBe(`${ORIGIN}: no answer in time (timed out)`);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ECONNRESET' });
    expect(describeRequestError(abort, URL_WITH_QUERY)).toBe(`${ORIGIN}: no answer in time (timed out)`);
  });

  it('falls back to the message, or the value itself when it is not an Error', () => {
    expect(describeRequestError(new Error('something else'), URL_WITH_QUERY)).toBe(
      `${ORIGIN}: something else`,
    );
    expect(describeRequestError('plain text', URL_WITH_QUERY)).toBe(`${ORIGIN}: plain text`);
    expect(describeRequestError(undefined, URL_WITH_QUERY)).toBe(`${ORIGIN}: undefined`);
    expect(describeRequestError(null, 'nonsense')).toBe('the given URL: null');
  });
});

describe('RequestFailedError', () => {
  it('carries the description as its message and the original as its cause', () => {
    const original = fetchFailed(coded('ECONNREFUSED'));
    const error = new RequestFailedError(original, URL_WITH_QUERY);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RequestFailedError');
    expect(error.message).toBe(`${ORIGIN}: connection refused (nothing listens there)`);
    expect(error.cause).toBe(original);
    expect(error.message).not.toContain('Smith');
  });
});
