import { isFhirId, RESOURCE_TYPE_PATTERN } from '../../fhir/ids.js';
import { allOk, badRequest, methodNotAllowed, notSupported } from '../../fhir/outcomes.js';
import type { FhirRequest, FhirResponse } from '../../http/types.js';
import { NON_CLINICAL_TYPES } from '../constants.js';
import type { IngestLogger } from '../IngestLogger.js';
import { outcomeResponse } from './responses.js';
import { isKnownResourceType } from '../validateFhirResource.js';
import type { VersionStateReset } from '../../versions/VersionStateReset.js';

/** The operation's name, as it appears in the URL. */
export const RESET_VERSION_OPERATION = '$reset-version';

export interface ResetVersionDeps {
  readonly reset: VersionStateReset;
  readonly logger: Pick<IngestLogger, 'info'>;
}

const PATH = /^([^/]+)(?:\/([^/]+))?\/\$reset-version$/;

/**
 * `POST [base]/{type}/{id}/$reset-version` and `POST [base]/{type}/$reset-version` (admin): clears
 * the version ledger entry and the delivered-version records of one resource, or of every resource of
 * the type, so the next write is recorded and delivered whatever version it carries. Answers only
 * its own paths (`undefined` for the rest), logs every reset by type, id and counts (never content).
 *
 * @example
 * const routes = [(request) => handleResetVersion(request, { reset, logger })];
 */
export const handleResetVersion = async (
  request: FhirRequest,
  deps: ResetVersionDeps,
): Promise<FhirResponse | undefined> => {
  const match = PATH.exec(request.path.replace(/^\/+|\/+$/g, ''));
  if (!match) return undefined;
  // Stryker disable next-line StringLiteral: the pattern's first group always matches, the default is for the type
  const [, resourceType = '', id] = match;
  if (request.method !== 'POST') {
    return outcomeResponse(methodNotAllowed(`${RESET_VERSION_OPERATION} is invoked with POST`));
  }
  if (
    !RESOURCE_TYPE_PATTERN.test(resourceType) ||
    !isKnownResourceType(resourceType) ||
    NON_CLINICAL_TYPES.has(resourceType)
  ) {
    return outcomeResponse(
      notSupported('The URL does not name a FHIR R4 resource type the connector replicates', undefined, 404),
    );
  }
  if (id !== undefined && !isFhirId(id)) {
    return outcomeResponse(badRequest('The id in the URL is not a valid FHIR id ([A-Za-z0-9-.]{1,64})'));
  }
  const counts = await deps.reset.reset({ resourceType, ...(id === undefined ? {} : { id }) });
  const target = id === undefined ? `every ${resourceType}` : `${resourceType}/${id}`;
  deps.logger.info('Version state reset', {
    requestId: request.requestId,
    resourceType,
    ...(id === undefined ? { scope: 'type' } : { id, scope: 'resource' }),
    ledgerEntries: counts.ledgerEntries,
    deliveredVersions: counts.deliveredVersions,
  });
  return outcomeResponse(
    allOk(
      `Reset ${target}: ${counts.ledgerEntries} version ledger entr${counts.ledgerEntries === 1 ? 'y' : 'ies'} and ${counts.deliveredVersions} delivered-version record(s) cleared; the next write is recorded and delivered whatever its version.`,
    ),
  );
};
