import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { outcomeResponse } from '../../shared/ingest/routes/responses.js';
import { serverError } from '../../shared/fhir/outcomes.js';
import type { FhirRouteHandler } from '../../shared/http/types.js';
import type { Authenticator } from '../../shared/ingest/auth/types.js';
import { createIngestHttp } from '../../shared/ingest/handleIngestHttp.js';
import type { IngestMetricsCollector } from '../../shared/ingest/IngestMetricsCollector.js';
import { toProxyResult, toRawRequest } from './toRawRequest.js';

export interface IngestHandlerDeps {
  /** The router (`createIngestRouter`), built with `collector` as its observer. */
  readonly route: FhirRouteHandler;
  readonly authenticator: Authenticator;
  readonly collector?: IngestMetricsCollector;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly maxBodyBytes?: number;
  /** Deepest JSON nesting accepted in a body (INGEST_MAX_JSON_DEPTH). */
  readonly maxJsonDepth?: number;
  /** Base URL for Location headers; derived from the event when absent. */
  readonly publicBaseUrl?: string;
}

export type IngestLambdaHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

/**
 * The ingest Lambda as a factory (local mode and tests pass their own dependencies): adapts the API
 * Gateway REST proxy event, runs authentication + routing, and publishes the request's metrics
 * (Ingested, Matched, Enqueued, StaleWrites by ResourceType; RejectedRequests).
 *
 * @example
 * export const handler = createIngestHandler({ route, authenticator, logger, metrics, collector });
 */
export const createIngestHandler = (deps: IngestHandlerDeps): IngestLambdaHandler => {
  const collector = deps.collector;
  const http = createIngestHttp({
    route: deps.route,
    authenticator: deps.authenticator,
    ...(deps.maxBodyBytes === undefined ? {} : { maxBodyBytes: deps.maxBodyBytes }),
    ...(deps.maxJsonDepth === undefined ? {} : { maxJsonDepth: deps.maxJsonDepth }),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(collector ? { onRejected: () => collector.rejected() } : {}),
  });
  const base = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      return toProxyResult(await http(toRawRequest(event, deps.publicBaseUrl)));
    } catch (error) {
      deps.logger?.error('Unhandled error in the ingest handler', {
        error: error instanceof Error ? error.name : 'unknown',
      });
      return toProxyResult(outcomeResponse(serverError()));
    } finally {
      publish(deps);
    }
  };
  let wrapped = middy<APIGatewayProxyEvent, APIGatewayProxyResult>(base);
  if (deps.logger) wrapped = wrapped.use(injectLambdaContext(deps.logger));
  if (deps.metrics) wrapped = wrapped.use(logMetrics(deps.metrics, { captureColdStartMetric: true }));
  return (event, context) => wrapped(event, context);
};

/** One EMF record per resource type seen (dimension ResourceType), one without for the rest. */
const publish = (deps: IngestHandlerDeps): void => {
  const { collector, metrics } = deps;
  if (!collector || collector.counts.size === 0) return;
  const counts = new Map(collector.counts);
  collector.counts.clear();
  if (!metrics) return;
  for (const [resourceType, byName] of counts) {
    if (resourceType !== '') metrics.addDimension('ResourceType', resourceType);
    for (const [name, value] of byName) metrics.addMetric(name, MetricUnit.Count, value);
    metrics.publishStoredMetrics();
  }
};
