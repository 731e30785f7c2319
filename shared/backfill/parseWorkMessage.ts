import { z } from 'zod';
import type { WorkMessage } from './types.js';
import { parseJson } from '../fhir/parseJson.js';
import { FHIR_ID_PATTERN, RESOURCE_TYPE_PATTERN } from '../fhir/ids.js';

/** `Type/id`: the two patterns without their `^`/`$` anchors, joined by `/`. */
const RESOURCE_KEY = new RegExp(
  `^${RESOURCE_TYPE_PATTERN.source.slice(1, -1)}/${FHIR_ID_PATTERN.source.slice(1, -1)}$`,
);

const schema = z.union([
  z.object({
    jobId: z.string().min(1).max(64),
    task: z.literal('search'),
    searchIndex: z.number().int().min(0),
    pageUrl: z.string().min(1),
    pageNumber: z.number().int().min(0),
    ifSourceSearchable: z.literal(true).optional(),
  }),
  z.object({
    jobId: z.string().min(1).max(64),
    task: z.literal('ids'),
    searchIndex: z.number().int().min(0),
    pageNumber: z.literal(0),
    ids: z.array(z.string().regex(RESOURCE_KEY)).min(1),
  }),
]);

/** Parses a backfill queue message body; throws on anything else (it goes to the DLQ). */
export const parseWorkMessage = (body: string): WorkMessage =>
  schema.parse(parseJson(body, 'backfill work message')) as WorkMessage;
