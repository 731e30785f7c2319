import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { badRequest, forResponse, httpStatusOf, payloadTooLarge } from '../../../shared/fhir/outcomes.js';

const FHIR_JSON = 'application/fhir+json;charset=utf-8';

/** An outcome to answer with, plus the AWS error type header (`x-amzn-ErrorType`) and extra headers. */
export class HttpError extends Error {
  public constructor(
    public readonly outcomeValue: OperationOutcome,
    public readonly errorType?: string,
    public readonly headers: Record<string, string> = {},
  ) {
    super(outcomeValue.issue?.[0]?.diagnostics ?? 'error');
    this.name = 'HttpError';
  }
}

export const readBody = (request: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () =>
      size > limit
        ? reject(new HttpError(payloadTooLarge('Request body too large')))
        : resolve(Buffer.concat(chunks)),
    );
    request.on('error', reject);
  });

/** Decoded query parameters, repeated ones in order; `+` stays `+` (SigV4 clients encode spaces as %20). */
export const decodeQuery = (rawQuery: string): Record<string, string[]> => {
  const query: Record<string, string[]> = {};
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    try {
      const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
      (query[key] ??= []).push(value);
    } catch {
      throw new HttpError(badRequest('Malformed query string'));
    }
  }
  return query;
};

export const safeEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** The JSON body parsed once (undefined when empty or not JSON); `parseJson` answers 400 for the latter. */
export const tryParseJson = (body: Buffer): { value: unknown } | undefined => {
  if (body.length === 0) return undefined;
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch {
    return undefined;
  }
};

export const parseJson = (parsed: { value: unknown } | undefined): unknown => {
  if (!parsed) throw new HttpError(badRequest('Request body is not valid JSON'));
  return parsed.value;
};

export const bodyVersionId = (parsed: { value: unknown } | undefined): string | undefined => {
  const meta = (parsed?.value as { meta?: { versionId?: unknown } } | null | undefined)?.meta;
  return typeof meta?.versionId === 'string' ? meta.versionId : undefined;
};

/** Writes an answer (JSON unless the body is a string) unless the response is already gone. */
export const send = (
  response: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
  contentType = FHIR_JSON,
) => {
  if (response.headersSent || response.destroyed) return;
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    ...(payload === undefined
      ? {}
      : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
  });
  response.end(payload);
};

export const sendOutcome = (
  response: ServerResponse,
  value: OperationOutcome,
  errorType?: string,
  headers: Record<string, string> = {},
) =>
  send(response, httpStatusOf(value), forResponse(value), {
    ...headers,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
