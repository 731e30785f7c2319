import { z } from 'zod';
import { parseJson } from '../fhir/parseJson.js';
import type { ReconcileMessage } from './types.js';

const schema = z.union([
  z.object({ jobId: z.string().min(1).max(64), task: z.literal('plan') }),
  z.object({
    jobId: z.string().min(1).max(64),
    task: z.literal('page'),
    stream: z.number().int().min(0),
    page: z.number().int().min(0),
    url: z.string().min(1).optional(),
  }),
]);

/** Parses a reconcile queue message body; throws on anything else (it goes to the DLQ). */
export const parseReconcileMessage = (body: string): ReconcileMessage =>
  schema.parse(parseJson(body, 'reconcile work message')) as ReconcileMessage;
