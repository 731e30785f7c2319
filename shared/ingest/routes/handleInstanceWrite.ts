import { randomUUID } from 'node:crypto';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../../http/types.js';
import type { IncomingWrite } from '../types.js';
import { inspectResource, latestLastUpdated } from './inspectResource.js';
import type { IngestRouterContext } from './IngestRouterContext.js';
import { outcomeResponse, writeResponse } from './responses.js';

const rejectedResponse = (context: IngestRouterContext, outcome: OperationOutcome): FhirResponse => {
  context.observe.rejected();
  return outcomeResponse(outcome);
};

/**
 * `PUT [base]/{type}/{id}` (update-as-create), `POST [base]/{type}` (create, server-assigned id) and
 * `DELETE [base]/{type}/{id}`: checks the write, runs it through the pipeline, and answers as a FHIR
 * server does. The router has checked `resourceType` against the R4 types and `id` as a FHIR id, and
 * passes `id` for PUT and DELETE only.
 */
export const handleInstanceWrite = async (
  request: FhirRequest,
  context: IngestRouterContext,
  target: { resourceType: string; id?: string },
): Promise<FhirResponse> => {
  const { resourceType } = target;
  const create = request.method === 'POST';
  const id = create ? randomUUID() : (target.id as string);
  if (request.method === 'DELETE') {
    const write: IncomingWrite = {
      operation: 'delete',
      resourceType,
      id,
      source: 'ingest',
      requestId: request.requestId,
    };
    const [result] = await context.accept(request, [write]);
    if (!result) throw new Error('The pipeline returned no result');
    return writeResponse(request, { resourceType, id, operation: 'delete', created: false }, result);
  }
  const inspection = inspectResource(request.body, {
    root: resourceType,
    urlType: resourceType,
    ...(create ? { assignedId: id } : { urlId: id }),
    validate: context.limits.validateResources,
    latestLastUpdated: latestLastUpdated(context),
  });
  if (!inspection.ok) {
    return rejectedResponse(context, {
      resourceType: 'OperationOutcome',
      id: String(inspection.status ?? 400),
      issue: inspection.issues,
    });
  }
  const write: IncomingWrite = {
    operation: 'upsert',
    resourceType,
    id,
    resource: inspection.resource,
    source: 'ingest',
    requestId: request.requestId,
  };
  const [result] = await context.accept(request, [write]);
  if (!result) throw new Error('The pipeline returned no result');
  const sent = (inspection.resource.meta as { versionId?: unknown } | undefined)?.versionId;
  return writeResponse(
    request,
    {
      resourceType,
      id,
      operation: 'upsert',
      created: create,
      ...(typeof sent === 'string' ? { sentVersion: sent } : {}),
    },
    result,
  );
};
