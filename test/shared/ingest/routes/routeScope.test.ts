import { describe, expect, it } from 'vitest';
import {
  isScopedRoute,
  requiredScope,
  type OptionalRoute,
  type ScopedRoute,
} from '../../../../shared/ingest/routes/routeScope.js';

const answer: OptionalRoute = async () => ({ status: 200 });
const myWrite: ScopedRoute = { scope: 'write', path: /^Patient\/[^/]+\/\$my-write$/, route: answer };
const myAdmin: ScopedRoute = { scope: 'admin', path: /^Observation$/, route: answer };

describe('Function: isScopedRoute', () => {
  it('tells a declared route from a plain function', () => {
    expect(isScopedRoute(myWrite)).toBe(true);
    expect(isScopedRoute(answer)).toBe(false);
  });
});

describe('Function: requiredScope', () => {
  it('takes the scope a plugged-in route declares for its paths, first match first', () => {
    expect(requiredScope('Patient/p1/$my-write', [answer, myWrite])).toBe('write');
    expect(requiredScope('Observation', [myWrite, myAdmin])).toBe('admin');
    expect(requiredScope('Observation', [myAdmin, { ...myAdmin, scope: 'write' }])).toBe('admin');
  });

  it('falls back to the path when no declared route matches; plain functions declare nothing', () => {
    expect(requiredScope('Patient/p1/$my-write', [answer, myAdmin])).toBe('admin');
    expect(requiredScope('Patient/p1', [myWrite, answer])).toBe('write');
  });

  it('needs write for [base] and metadata only as whole paths', () => {
    expect(requiredScope('', [])).toBe('write');
    expect(requiredScope('metadata', [])).toBe('write');
    expect(requiredScope('metadata/x', [])).toBe('admin');
    expect(requiredScope('Patient', [])).toBe('write');
    expect(requiredScope('Patient/p1', [])).toBe('write');
    expect(requiredScope('Patient/p1/x', [])).toBe('admin');
  });

  it('needs admin for any $operation segment, and for unknown or non-clinical types', () => {
    for (const path of ['$x', 'Patient/$x', '$x/Patient', 'Bundle', 'Parameters', 'patient', 'Foo/1']) {
      expect({ path, scope: requiredScope(path, []) }).toEqual({ path, scope: 'admin' });
    }
  });

  it('reads only a leading $ as an operation', () => {
    expect(requiredScope('Patient/p$1', [])).toBe('write');
  });
});
