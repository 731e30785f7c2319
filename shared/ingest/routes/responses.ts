import type { OperationOutcome } from '@medplum/fhirtypes';
import { forResponse, httpStatusOf, outcome } from '../../fhir/outcomes.js';
import { FHIR_JSON } from '../../http/types.js';
import type { FhirRequest, FhirResponse } from '../../http/types.js';
import { preferReturn } from '../../http/preferReturn.js';
import type { WriteResult } from '../types.js';
import { isUnmatched } from '../isUnmatched.js';

export { preferReturn, type PreferReturn } from '../../http/preferReturn.js';

export const fhirJson = (
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): FhirResponse => ({
  status,
  headers: { 'content-type': FHIR_JSON, ...headers },
  ...(body === undefined ? {} : { body }),
});

/** An error (or informational) outcome as a response, status from the outcome. */
export const outcomeResponse = (
  value: OperationOutcome,
  headers: Record<string, string> = {},
): FhirResponse => fhirJson(httpStatusOf(value), forResponse(value), headers);

export const etagOf = (versionId: string): string => `W/"${versionId}"`;

export const httpDate = (instant: string): string => new Date(instant).toUTCString();

/** `Type/id/_history/vid`, relative (bundle entries) or absolute (Location header). */
export const historyPath = (resourceType: string, id: string, versionId: string): string =>
  `${resourceType}/${id}/_history/${versionId}`;

/** The informational outcome of a stale write: acknowledged, never delivered. */
export const staleOutcome = (
  resourceType: string,
  id: string,
  result: WriteResult,
  sent?: string,
): OperationOutcome =>
  outcome(
    'informational',
    `Stale version${sent === undefined ? '' : ` ${sent}`} of ${resourceType}/${id}: version ${result.versionId} is already recorded, so this write was acknowledged but not delivered.`,
    { severity: 'information' },
  );

/**
 * The informational outcome of a write no active Subscription matched: recorded (so a later
 * Subscription's backfill or the next version sees it) but delivered nowhere.
 */
export const unmatchedOutcome = (resourceType: string, id: string): OperationOutcome =>
  outcome(
    'informational',
    `${resourceType}/${id} was accepted and recorded, but it matched no active Subscription, so it is not delivered anywhere. Check the Subscriptions (GET [base]/Subscription?status=active).`,
    { severity: 'information' },
  );

/** The outcome of a conflicting write: the version id is taken by other content (409). */
export const conflictOutcome = (resourceType: string, id: string, result: WriteResult): OperationOutcome =>
  outcome(
    'conflict',
    `Version ${result.versionId} of ${resourceType}/${id} is already recorded with different content: send the change as a new meta.versionId, or ask an operator to reset the version ($reset-version)`,
    { expression: `${resourceType}.meta.versionId`, status: 409 },
  );

/**
 * The outcome of a write whose numeric versionId jumps implausibly far past the recorded one (422):
 * a forged version that would make every later real version stale. Nothing was recorded.
 */
export const refusedVersionOutcome = (
  resourceType: string,
  id: string,
  result: WriteResult,
): OperationOutcome => {
  const sent = (result.resource?.meta as { versionId?: string } | undefined)?.versionId;
  return outcome(
    'business-rule',
    `meta.versionId${sent === undefined ? '' : ` ${sent}`} of ${resourceType}/${id} is more than ${result.maxVersionJump ?? 'the allowed number of'} versions past the recorded version ${result.versionId}, and its meta.lastUpdated is absent or not newer than the recorded version's: refused as implausible, nothing recorded (ingest.maxVersionJump). Send the version with its meta.lastUpdated, or ask an operator to reset the version ($reset-version)`,
    { expression: `${resourceType}.meta.versionId`, status: 422 },
  );
};

export const successOutcome = (diagnostics: string): OperationOutcome =>
  outcome('informational', diagnostics, { severity: 'information' });

/**
 * The response to one accepted write, as a FHIR server gives it: status, Location, ETag,
 * Last-Modified, and the resource / nothing / an OperationOutcome per `Prefer`. A write the client
 * must hear about (stale, or matched by no Subscription) is answered with its informational
 * OperationOutcome unless the client asked for `return=minimal` or `return=representation`
 * (without `Prefer`, FHIR leaves the choice to the server).
 */
export const writeResponse = (
  request: FhirRequest,
  write: {
    resourceType: string;
    id: string;
    operation: 'upsert' | 'delete';
    created: boolean;
    sentVersion?: string;
  },
  result: WriteResult,
): FhirResponse => {
  const headers: Record<string, string> = {
    etag: etagOf(result.versionId),
    'last-modified': httpDate(result.lastUpdated),
  };
  const prefer = preferReturn(request);
  if (result.status === 'conflict') {
    return outcomeResponse(conflictOutcome(write.resourceType, write.id, result));
  }
  if (result.status === 'refused') {
    return outcomeResponse(refusedVersionOutcome(write.resourceType, write.id, result));
  }
  if (result.status === 'stale') {
    return fhirJson(200, staleOutcome(write.resourceType, write.id, result, write.sentVersion), headers);
  }
  if (isUnmatched(result) && prefer !== 'minimal' && prefer !== 'representation') {
    if (write.operation === 'upsert') {
      headers.location = `${request.baseUrl}/${historyPath(write.resourceType, write.id, result.versionId)}`;
    }
    return fhirJson(write.created ? 201 : 200, unmatchedOutcome(write.resourceType, write.id), headers);
  }
  if (write.operation === 'delete') {
    if (prefer === 'OperationOutcome' || prefer === 'representation') {
      return fhirJson(200, successOutcome(`Deleted ${write.resourceType}/${write.id}`), headers);
    }
    return { status: 204, headers };
  }
  headers.location = `${request.baseUrl}/${historyPath(write.resourceType, write.id, result.versionId)}`;
  const status = write.created ? 201 : 200;
  if (prefer === 'minimal') return { status, headers };
  if (prefer === 'OperationOutcome') {
    return fhirJson(status, successOutcome(`Accepted ${write.resourceType}/${write.id}`), headers);
  }
  return fhirJson(status, result.resource, headers);
};
