import { describe, expect, it } from 'vitest';
import {
  CredentialsError,
  HealthLakeError,
  HealthLakeTransientError,
  isAccessDenied,
} from '../../../shared/healthlake/errors.js';

/** `error` wrapped `depth` times as the cause of a plain Error. */
const wrapped = (error: Error, depth: number): Error =>
  depth === 0 ? error : new Error(`level ${depth}`, { cause: wrapped(error, depth - 1) });

describe('HealthLake errors', () => {
  it('name themselves, so logs and metrics can tell them apart', () => {
    expect(new HealthLakeError('x').name).toBe('HealthLakeError');
    const transient = new HealthLakeTransientError('timeout', 'PUT Patient: no answer in time');
    expect(transient).toBeInstanceOf(HealthLakeError);
    expect(transient.name).toBe('HealthLakeTransientError');
    expect(new CredentialsError('no credentials').name).toBe('CredentialsError');
  });

  it('recognise an access-denied refusal by its name or by a 403 status', () => {
    expect(isAccessDenied(Object.assign(new Error('no'), { name: 'AccessDenied' }))).toBe(true);
    expect(isAccessDenied(Object.assign(new Error('no'), { name: 'AccessDeniedException' }))).toBe(true);
    expect(isAccessDenied(Object.assign(new Error('no'), { $metadata: { httpStatusCode: 403 } }))).toBe(true);
    expect(isAccessDenied(Object.assign(new Error('no'), { $metadata: { httpStatusCode: 400 } }))).toBe(
      false,
    );
    expect(isAccessDenied(new Error('socket hang up'))).toBe(false);
    expect(isAccessDenied('AccessDenied')).toBe(false);
    expect(isAccessDenied(undefined)).toBe(false);
  });

  it('look for the refusal up to five errors deep in the cause chain', () => {
    const denied = Object.assign(new Error('no'), { name: 'AccessDenied' });
    expect(isAccessDenied(wrapped(denied, 4))).toBe(true);
    expect(isAccessDenied(wrapped(denied, 5))).toBe(false);
    expect(
      new CredentialsError('PUT Patient: no credentials', { cause: wrapped(denied, 2) }).accessDenied,
    ).toBe(true);
    expect(
      new CredentialsError('PUT Patient: no credentials', { cause: new Error('timeout') }).accessDenied,
    ).toBe(false);
  });
});
