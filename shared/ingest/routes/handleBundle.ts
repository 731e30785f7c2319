import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { FhirResource } from '../../fhir/types.js';
import { resourceKey } from '../../fhir/ids.js';
import { badRequest, forResponse, payloadTooLarge } from '../../fhir/outcomes.js';
import type { FhirRequest, FhirResponse } from '../../http/types.js';
import type { IncomingWrite, WriteResult } from '../types.js';
import { inspectResource, issue, latestLastUpdated } from './inspectResource.js';
import { parseEntryUrl } from './parseEntryUrl.js';
import {
  conflictOutcome,
  etagOf,
  fhirJson,
  historyPath,
  outcomeResponse,
  preferReturn,
  refusedVersionOutcome,
  staleOutcome,
  unmatchedOutcome,
} from './responses.js';
import { isUnmatched } from '../isUnmatched.js';
import { NON_CLINICAL_TYPES } from '../constants.js';
import { isKnownResourceType } from '../validateFhirResource.js';
import { rewriteReferences } from './rewriteReferences.js';
import type { IngestRouterContext } from './IngestRouterContext.js';

interface Planned {
  readonly index: number;
  readonly method: 'POST' | 'PUT' | 'DELETE';
  readonly resourceType: string;
  readonly id: string;
  readonly raw?: Record<string, unknown>;
  readonly fullUrl?: string;
  resource?: FhirResource;
  issues: OperationOutcomeIssue[];
  /** 422 when the entry is well-formed but refused (a future meta.lastUpdated); 400 otherwise. */
  status?: 422;
}

const MAX_REPORTED_ISSUES = 100;

/**
 * `POST [base]` with a `transaction` or `batch` Bundle. Transaction: every entry is checked (urls,
 * ids, `urn:uuid` references resolved and rewritten, structure) before anything is recorded; one bad
 * entry rejects the whole Bundle with every issue found, and nothing is enqueued. Batch: entries
 * stand alone, each answered in its own response entry.
 */
export const handleBundle = async (
  request: FhirRequest,
  context: IngestRouterContext,
): Promise<FhirResponse> => {
  const body = request.body as Partial<Bundle> | undefined;
  if (body?.resourceType !== 'Bundle') {
    return outcomeResponse(badRequest('POST [base] takes a Bundle of type transaction or batch', 'Bundle'));
  }
  if (body.type !== 'transaction' && body.type !== 'batch') {
    return outcomeResponse(
      badRequest('Only Bundles of type transaction or batch can be posted to [base]', 'Bundle.type'),
    );
  }
  const entries = body.entry ?? [];
  if (!Array.isArray(entries))
    return outcomeResponse(badRequest('Bundle.entry must be an array', 'Bundle.entry'));
  if (entries.length > context.limits.maxBundleEntries) {
    return outcomeResponse(
      payloadTooLarge(
        `The Bundle has ${entries.length} entries; the limit is ${context.limits.maxBundleEntries} entries per ${body.type}; send the entries in smaller Bundles`,
      ),
    );
  }
  const transaction = body.type === 'transaction';
  const plans = planEntries(entries, request.baseUrl);
  resolveReferences(plans);
  inspectPlans(plans, context);

  if (transaction) {
    const issues = plans.flatMap((plan) => plan.issues);
    const seen = new Set<string>();
    for (const plan of plans) {
      const key = resourceKey(plan.resourceType, plan.id);
      if (plan.id && seen.has(key)) {
        issues.push(
          issue(
            'duplicate',
            'The transaction writes the same resource more than once',
            `Bundle.entry[${plan.index}]`,
          ),
        );
      }
      seen.add(key);
    }
    if (issues.length > 0) {
      context.observe.rejected();
      const refused = plans.filter((plan) => plan.issues.length > 0);
      const outcome: OperationOutcome = {
        resourceType: 'OperationOutcome',
        id: refused.length > 0 && refused.every((plan) => plan.status === 422) ? '422' : '400',
        issue: issues.slice(0, MAX_REPORTED_ISSUES),
      };
      return outcomeResponse(outcome);
    }
  }

  const accepted = plans.filter((plan) => plan.issues.length === 0);
  const results = await context.accept(
    request,
    accepted.map((plan) => toWrite(plan, request)),
  );
  const byIndex = new Map<number, WriteResult>();
  accepted.forEach((plan, position) => byIndex.set(plan.index, results[position] as WriteResult));

  for (const plan of plans) if (plan.issues.length > 0) context.observe.rejected();
  const prefer = preferReturn(request);
  const responseEntries: BundleEntry[] = plans.map((plan) => {
    const result = byIndex.get(plan.index);
    if (!result) {
      return {
        response: {
          status: plan.status === 422 ? '422 Unprocessable Entity' : '400 Bad Request',
          outcome: { resourceType: 'OperationOutcome', issue: plan.issues.slice(0, MAX_REPORTED_ISSUES) },
        },
      };
    }
    return responseEntry(plan, result, prefer, request);
  });
  return fhirJson(200, {
    resourceType: 'Bundle',
    type: transaction ? 'transaction-response' : 'batch-response',
    entry: responseEntries,
  } satisfies Bundle);
};

const planEntries = (entries: readonly BundleEntry[], baseUrl: string): Planned[] =>
  entries.map((entry, index) => {
    const at = `Bundle.entry[${index}]`;
    const plan = (fields: Partial<Planned>): Planned => ({
      index,
      method: 'POST',
      resourceType: '',
      id: '',
      issues: [],
      ...fields,
    });
    if (!entry || typeof entry !== 'object') {
      return plan({ issues: [issue('structure', 'Bundle entry must be an object', at)] });
    }
    const entryRequest = entry.request;
    if (!entryRequest || typeof entryRequest !== 'object') {
      return plan({ issues: [issue('required', 'Bundle entry has no request', `${at}.request`)] });
    }
    const method = entryRequest.method;
    if (method !== 'POST' && method !== 'PUT' && method !== 'DELETE') {
      return plan({
        issues: [
          issue(
            'not-supported',
            'Only POST, PUT and DELETE entries are supported (reads are served by the source server)',
            `${at}.request.method`,
          ),
        ],
      });
    }
    if (
      entryRequest.ifNoneExist !== undefined ||
      entryRequest.ifMatch !== undefined ||
      entryRequest.ifNoneMatch !== undefined
    ) {
      return plan({
        method,
        issues: [
          issue(
            'not-supported',
            'Conditional interactions (ifNoneExist, ifMatch, ifNoneMatch) are not supported',
            `${at}.request`,
          ),
        ],
      });
    }
    const url = parseEntryUrl(entryRequest.url, baseUrl);
    if (!url.ok) return plan({ method, issues: [issue(url.code, url.diagnostics, `${at}.request.url`)] });
    // The same types the instance routes take: a Bundle is no way around them (Subscription is admin).
    if (!isKnownResourceType(url.resourceType) || NON_CLINICAL_TYPES.has(url.resourceType)) {
      return plan({
        method,
        issues: [
          issue(
            'not-supported',
            'request.url must name a clinical FHIR R4 resource type; Subscription and other non-clinical types are not accepted in a Bundle',
            `${at}.request.url`,
          ),
        ],
      });
    }
    const raw = entry.resource as Record<string, unknown> | undefined;
    if (method === 'POST') {
      if (url.id !== undefined) {
        return plan({
          method,
          issues: [issue('invalid', 'A POST entry names a type, not an id', `${at}.request.url`)],
        });
      }
      if (!raw)
        return plan({
          method,
          issues: [issue('required', 'A POST entry needs a resource', `${at}.resource`)],
        });
      return plan({ method, resourceType: url.resourceType, id: randomUUID(), raw, ...fullUrlOf(entry) });
    }
    if (url.id === undefined) {
      return plan({
        method,
        issues: [issue('invalid', `A ${method} entry needs [type]/[id]`, `${at}.request.url`)],
      });
    }
    if (method === 'PUT' && !raw) {
      return plan({
        method,
        issues: [issue('required', 'A PUT entry needs a resource', `${at}.resource`)],
      });
    }
    return plan({
      method,
      resourceType: url.resourceType,
      id: url.id,
      ...(method === 'PUT' ? { raw } : {}),
      ...fullUrlOf(entry),
    });
  });

/**
 * Maps the full URLs of written entries to `Type/id` and rewrites the `urn:uuid` references to them.
 * A refused entry has neither a full URL nor a resource here (planEntries), so it is left out.
 */
const resolveReferences = (plans: Planned[]): void => {
  const resolved = new Map<string, string>();
  for (const plan of plans) {
    if (plan.fullUrl !== undefined && plan.method !== 'DELETE') {
      resolved.set(plan.fullUrl, resourceKey(plan.resourceType, plan.id));
    }
  }
  for (const plan of plans) {
    rewriteReferences(plan.raw, resolved, `Bundle.entry[${plan.index}].resource`, plan.issues);
  }
};

const fullUrlOf = (entry: BundleEntry): { fullUrl?: string } =>
  typeof entry.fullUrl === 'string' ? { fullUrl: entry.fullUrl } : {};

const inspectPlans = (plans: Planned[], context: IngestRouterContext): void => {
  for (const plan of plans) {
    if (plan.issues.length > 0 || !plan.raw) continue;
    const root = `Bundle.entry[${plan.index}].resource`;
    const inspection = inspectResource(plan.raw, {
      root,
      urlType: plan.resourceType,
      ...(plan.method === 'POST' ? { assignedId: plan.id } : { urlId: plan.id }),
      validate: context.limits.validateResources,
      latestLastUpdated: latestLastUpdated(context),
    });
    if (inspection.ok) plan.resource = inspection.resource;
    else {
      plan.issues.push(...inspection.issues);
      plan.status = inspection.status;
    }
  }
};

const toWrite = (plan: Planned, request: FhirRequest): IncomingWrite => ({
  operation: plan.method === 'DELETE' ? 'delete' : 'upsert',
  resourceType: plan.resourceType,
  id: plan.id,
  ...(plan.resource ? { resource: plan.resource } : {}),
  source: 'ingest',
  requestId: request.requestId,
});

const responseEntry = (
  plan: Planned,
  result: WriteResult,
  prefer: ReturnType<typeof preferReturn>,
  request: FhirRequest,
): BundleEntry => {
  const lastModified = result.lastUpdated;
  if (result.status === 'conflict') {
    return {
      response: {
        status: '409 Conflict',
        outcome: forResponse(conflictOutcome(plan.resourceType, plan.id, result)),
      },
    };
  }
  if (result.status === 'refused') {
    return {
      response: {
        status: '422 Unprocessable Entity',
        outcome: forResponse(refusedVersionOutcome(plan.resourceType, plan.id, result)),
      },
    };
  }
  if (result.status === 'stale') {
    return {
      response: {
        status: '200 OK',
        etag: etagOf(result.versionId),
        lastModified,
        outcome: staleOutcome(plan.resourceType, plan.id, result),
      },
    };
  }
  const unmatched = isUnmatched(result) ? { outcome: unmatchedOutcome(plan.resourceType, plan.id) } : {};
  if (plan.method === 'DELETE') {
    return {
      response: { status: '204 No Content', etag: etagOf(result.versionId), lastModified, ...unmatched },
    };
  }
  const location = historyPath(plan.resourceType, plan.id, result.versionId);
  return {
    fullUrl: `${request.baseUrl}/${plan.resourceType}/${plan.id}`,
    ...(prefer === 'representation' && result.resource
      ? { resource: result.resource as BundleEntry['resource'] }
      : {}),
    response: {
      status: plan.method === 'POST' ? '201 Created' : '200 OK',
      location,
      etag: etagOf(result.versionId),
      lastModified,
      ...unmatched,
    },
  };
};
