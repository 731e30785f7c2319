import type { FhirRequest, FhirResponse } from '../../http/types.js';
import { TOKEN_SCOPES, type TokenScope } from '../../http/scopes.js';
import { NON_CLINICAL_TYPES } from '../constants.js';
import { isKnownResourceType } from '../validateFhirResource.js';
import type { FhirOperation } from './operations.js';

/** A plugged-in route: answers the requests it owns, `undefined` for the rest (tried in order). */
export type OptionalRoute = (request: FhirRequest) => Promise<FhirResponse | undefined>;

/**
 * A plugged-in route that declares the scope its paths need. A plain `OptionalRoute` is `admin`
 * whatever it serves; declare `write` only for data-path routes a producer must reach.
 *
 * @example
 * const route: ScopedRoute = { scope: 'write', path: /^Patient\/[^/]+\/\$my-write$/, route: handler };
 */
export interface ScopedRoute {
  readonly scope: TokenScope;
  /**
   * The paths the route serves, matched against the path relative to the FHIR base without leading or
   * trailing `/`; the route is only called for these.
   */
  readonly path: RegExp;
  readonly route: OptionalRoute;
  /** The operations it serves, listed in `GET metadata` (as a DeclaredRoute's). */
  readonly operations?: readonly FhirOperation[];
}

/**
 * A plugged-in route with the operations it serves: the router lists them in `GET metadata`. Like a
 * plain route it needs the `admin` scope (a ScopedRoute declares its operations the same way).
 *
 * @example
 * const route: DeclaredRoute = { operations: RESET_VERSION_OPERATIONS, route: (request) => handleResetVersion(request, deps) };
 */
export interface DeclaredRoute {
  readonly operations: readonly FhirOperation[];
  readonly route: OptionalRoute;
}

export type PluggedRoute = OptionalRoute | ScopedRoute | DeclaredRoute;

export const isScopedRoute = (route: PluggedRoute): route is ScopedRoute =>
  typeof route !== 'function' && 'scope' in route;

/** The operations the routes declare (`DeclaredRoute`, or a ScopedRoute with operations), each once. */
export const declaredOperations = (routes: readonly PluggedRoute[]): FhirOperation[] => {
  const seen = new Map<string, FhirOperation>();
  for (const route of routes) {
    if (typeof route === 'function' || route.operations === undefined) continue;
    for (const operation of route.operations) seen.set(`${operation.on} ${operation.name}`, operation);
  }
  return [...seen.values()];
};

/**
 * The scope a request needs. Fail closed: only the FHIR data path is `write` - `POST [base]`
 * (transaction/batch), `GET metadata`, and `{type}` / `{type}/{id}` of a clinical R4 resource type with
 * no operation segment; a route's declared scope comes first; everything else (Subscription, every
 * `$operation` at any level, unknown paths) needs `admin`, so an operation added later is
 * administrative unless it says otherwise.
 */
export const requiredScope = (path: string, routes: readonly PluggedRoute[]): TokenScope => {
  for (const plugged of routes) {
    if (isScopedRoute(plugged) && plugged.path.test(path)) return plugged.scope;
  }
  const segments = path === '' ? [] : path.split('/');
  const [first] = segments;
  if (first === undefined) return TOKEN_SCOPES.write;
  if (first === 'metadata' && segments.length === 1) return TOKEN_SCOPES.write;
  const dataPath =
    segments.length <= 2 &&
    !segments.some((segment) => segment.startsWith('$')) &&
    isKnownResourceType(first) &&
    !NON_CLINICAL_TYPES.has(first);
  return dataPath ? TOKEN_SCOPES.write : TOKEN_SCOPES.admin;
};
