import { ensureStructureDefinitions } from '../../shared/ingest/validateFhirResource.js';
import { ingestHandlerFromEnv } from './ingestHandlerFromEnv.js';

export { createIngestHandler } from './createIngestHandler.js';
export type { IngestHandlerDeps, IngestLambdaHandler } from './createIngestHandler.js';

/** The ingest Lambda: API Gateway REST proxy (v1) -> FHIR write API. Configuration read at module load. */
// Index the FHIR StructureDefinitions during init (full CPU, not billed to the first request).
ensureStructureDefinitions();
export const handler = ingestHandlerFromEnv(process.env);
