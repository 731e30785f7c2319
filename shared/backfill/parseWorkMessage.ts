import * as z from 'zod/mini';
import type { WorkMessage } from './types.js';
import { parseJson } from '../fhir/parseJson.js';
import { FHIR_ID_PATTERN, RESOURCE_TYPE_PATTERN } from '../fhir/ids.js';

/** `Type/id`: the two patterns without their `^`/`$` anchors, joined by `/`. */
const RESOURCE_KEY = new RegExp(
  `^${RESOURCE_TYPE_PATTERN.source.slice(1, -1)}/${FHIR_ID_PATTERN.source.slice(1, -1)}$`,
);

const jobId = z.string().check(z.minLength(1), z.maxLength(64));
const count = z.int().check(z.minimum(0));

const schema = z.union([
  z.object({
    jobId,
    task: z.literal('search'),
    searchIndex: count,
    pageUrl: z.string().check(z.minLength(1)),
    pageNumber: count,
    ifSourceSearchable: z.optional(z.literal(true)),
  }),
  z.object({
    jobId,
    task: z.union([z.literal('ids'), z.literal('reread')]),
    searchIndex: count,
    pageNumber: z.literal(0),
    ids: z.array(z.string().check(z.regex(RESOURCE_KEY))).check(z.minLength(1)),
  }),
  z.object({
    jobId,
    task: z.union([z.literal('events'), z.literal('history')]),
    searchIndex: count,
    pageUrl: z.string().check(z.minLength(1)),
    pageNumber: count,
  }),
]);

/** Parses a backfill queue message body; throws on anything else (it goes to the DLQ). */
export const parseWorkMessage = (body: string): WorkMessage =>
  schema.parse(parseJson(body, 'backfill work message')) as WorkMessage;
