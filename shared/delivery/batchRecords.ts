import type { SQSRecord } from 'aws-lambda';
import { resourceKey } from '../fhir/ids.js';
import { HealthLakeError } from '../healthlake/errors.js';
import {
  InvalidDeliveryMessageError,
  parseDeliveryMessage,
  type DeliveryMessage,
} from '../messages/deliveryMessage.js';
import type { MessageSummary } from '../messages/failureCause.js';
import { targetKey, type DeliveryTarget } from '../versions/DeliveredVersions.js';
import type { BatchDeliveryDeps, BatchState, Parsed } from './batchTypes.js';
import { DeliveryError } from './errors.js';
import { healthLakeIdOf } from './replicationTarget.js';

export const summarize = (record: SQSRecord, message?: DeliveryMessage): MessageSummary =>
  message
    ? {
        messageId: record.messageId,
        resourceType: message.resourceType,
        id: message.id,
        versionId: message.versionId,
        operation: message.operation,
        subscriptionId: message.subscription.id,
      }
    : { messageId: record.messageId };

/** An error's safe description: our own and AWS SDK errors carry no content; others only their name. */
export const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return 'unknown error';
  const safe = error instanceof DeliveryError || error instanceof HealthLakeError || '$metadata' in error;
  return safe ? `${error.name}: ${error.message}` : error.name;
};

const healthLakeIdOrSource = (message: DeliveryMessage): string => {
  try {
    return healthLakeIdOf(message);
  } catch {
    return message.id;
  }
};

export const parseRecord = (record: SQSRecord): Parsed => {
  const attempt = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  try {
    const message = parseDeliveryMessage(record.body);
    const target = {
      // Keyed by the id HealthLake holds (Smile replication may rewrite it); an id that cannot be
      // rewritten keeps the source id here and is dead-lettered by deliverMessage with its cause.
      resourceKey: resourceKey(message.resourceType, healthLakeIdOrSource(message)),
      endpoint: message.subscription.endpoint,
    };
    return {
      record,
      message,
      target,
      ledgerKey: resourceKey(message.resourceType, message.id),
      deliveredKey: targetKey(target),
      attempt,
      summary: summarize(record, message),
    };
  } catch (error) {
    const invalid =
      // Stryker disable next-line StringLiteral: parseDeliveryMessage throws InvalidDeliveryMessageError only; a guard for the future
      error instanceof InvalidDeliveryMessageError ? error : new InvalidDeliveryMessageError('unreadable');
    return { record, invalid, attempt, summary: summarize(record) };
  }
};

/** One read of the ledger and one of the delivered versions for the whole batch. */
export const prefetch = async (parsed: readonly Parsed[], deps: BatchDeliveryDeps): Promise<BatchState> => {
  const keys = new Set<string>();
  const targets = new Map<string, DeliveryTarget>();
  for (const item of parsed) {
    if (item.invalid) continue;
    keys.add(item.ledgerKey);
    targets.set(item.deliveredKey, item.target);
  }
  // Stryker disable next-line ObjectLiteral: a batch of invalid records only never reads the state
  if (keys.size === 0) return { latest: new Map(), delivered: new Map() };
  const [latest, delivered] = await Promise.all([
    deps.ledger.getLatest([...keys]),
    deps.delivered.getMany([...targets.values()]),
  ]);
  return { latest, delivered };
};
