import { z } from 'zod';
import type { WorkMessage } from './types.js';
import { parseJson } from '../fhir/parseJson.js';

const schema = z.union([
  z.object({
    jobId: z.string().min(1).max(64),
    task: z.literal('search'),
    searchIndex: z.number().int().min(0),
    pageUrl: z.string().min(1),
    pageNumber: z.number().int().min(0),
  }),
  z.object({
    jobId: z.string().min(1).max(64),
    task: z.literal('ids'),
    searchIndex: z.number().int().min(0),
    pageNumber: z.literal(0),
    ids: z.array(z.string().regex(/^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}$/)).min(1),
  }),
]);

/** Parses a backfill queue message body; throws on anything else (it goes to the DLQ). */
export const parseWorkMessage = (body: string): WorkMessage =>
  schema.parse(parseJson(body, 'backfill work message')) as WorkMessage;
