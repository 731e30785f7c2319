import type { SQSRecord } from 'aws-lambda';
import { DELIVERY_MESSAGE_SCHEMA, type DeliveryMessage } from '../../shared/messages/deliveryMessage.js';

/** A realistic ~1.5 KB Observation (vital signs panel entry). */
export const observation = (id: string, versionId: string): Record<string, unknown> => ({
  resourceType: 'Observation',
  id,
  meta: { versionId, lastUpdated: '2026-01-01T00:00:00.000Z' },
  status: 'final',
  category: [
    {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/observation-category',
          code: 'vital-signs',
          display: 'vital-signs',
        },
      ],
    },
  ],
  code: {
    coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }],
    text: 'Heart rate',
  },
  subject: { reference: 'Patient/bench-patient-0001' },
  encounter: { reference: 'Encounter/bench-encounter-0001' },
  effectiveDateTime: '2025-12-31T10:11:12+00:00',
  issued: '2025-12-31T10:11:12.345+00:00',
  valueQuantity: { value: 72.5, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  interpretation: [
    {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
          code: 'N',
          display: 'Normal',
        },
      ],
    },
  ],
  note: [{ text: 'Measured at rest after five minutes seated; device calibrated the same morning.' }],
  referenceRange: [
    {
      low: { value: 60, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      high: { value: 100, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      text: 'Normal adult resting heart rate',
    },
  ],
});

/** The delivery message ingest would enqueue for `Observation/{id}` at `versionId`, going to `endpoint`. */
export const observationMessage = (endpoint: string, id: string, versionId: string): DeliveryMessage => ({
  schema: DELIVERY_MESSAGE_SCHEMA,
  operation: 'upsert',
  resourceType: 'Observation',
  id,
  versionId,
  lastUpdated: '2026-01-01T00:00:00.000Z',
  subscription: { id: 'bench', endpoint, stripVersionIds: false, deliverLatestVersion: true },
  trace: { ingestedAt: new Date().toISOString(), requestId: `req-${id}`, source: 'ingest' },
  payload: { kind: 'inline', resource: observation(id, versionId) },
});

/** The SQS FIFO record the event source mapping hands the deliverer for `message` (first receive). */
export const deliveryRecord = (message: DeliveryMessage, sequence: number): SQSRecord => {
  const key = `${message.id}-${message.versionId}`;
  return {
    messageId: `m-${key}`,
    receiptHandle: `rh-${key}`,
    body: JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      MessageGroupId: `${message.resourceType}/${message.id}`,
      MessageDeduplicationId: key,
      SequenceNumber: String(sequence),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench.fifo',
    awsRegion: 'us-east-1',
  };
};
