import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BackfillLogger } from '../backfill/types.js';
import { DynamoJobStore } from '../backfill/DynamoJobStore.js';
import { SqsWorkQueue } from '../backfill/SqsWorkQueue.js';
import { subscriptionLookup } from '../backfill/subscriptionLookup.js';
import { compileCriteria } from '../criteria/index.js';
import type { EnvValues } from '../config/envVar.js';
import { isKnownResourceType } from '../ingest/validateFhirResource.js';
import type { ApplyDeps, ReconcileStarter } from '../notificationIntake/applyDecision.js';
import type { NotificationSource } from '../notificationIntake/types.js';
import { DynamoSourceSubscriptionStore } from '../notifications/DynamoSourceSubscriptionStore.js';
import type { ReferenceRules } from '../notifications/parseResourceReference.js';
import { DynamoReconcileJobStore } from '../reconcile/DynamoReconcileJobStore.js';
import { startReconcileJob } from '../reconcile/handleReconcileRequest.js';
import { idListLocation } from '../reconcile/IdListSink.js';
import type { ReconcileMessage } from '../reconcile/types.js';
import type { SubscriptionStore } from '../subscriptions/SubscriptionStore.js';
import type { NOTIFICATION_ENV_VARS } from './notificationEnv.js';

/** What the notification route and the heartbeat check share, built from a function's environment. */
export interface NotificationIntakeParts extends Omit<ApplyDeps, 'pipeline' | 'onWritten'> {
  readonly sources: ReadonlyMap<string, NotificationSource>;
  readonly rules: ReferenceRules;
  readonly states: DynamoSourceSubscriptionStore;
  readonly catchUpMarginSeconds: number;
  readonly gapGraceSeconds: number;
  readonly toleranceSeconds?: number;
}

/**
 * The source Subscriptions followed, their states, the notification jobs (backfill queue) and, when
 * the reconcile queue is set, reconcile compares for catch-ups of topics without resource types.
 */
export const notificationIntakeFromEnv = (
  values: EnvValues<typeof NOTIFICATION_ENV_VARS> & {
    readonly backfillQueueUrl?: string | undefined;
    readonly reconcileQueueUrl?: string | undefined;
    readonly payloadBucket?: string | undefined;
  },
  clients: {
    readonly document: DynamoDBDocumentClient;
    readonly sqs: SQSClient;
    readonly tableName: string;
    readonly subscriptions: Pick<SubscriptionStore, 'get' | 'list'>;
    readonly logger?: BackfillLogger;
  },
): NotificationIntakeParts => {
  const { document, sqs, tableName, logger } = clients;
  const reconcileQueueUrl = values.reconcileQueueUrl;
  const bucket = values.payloadBucket;
  const reconcile: ReconcileStarter | undefined = reconcileQueueUrl
    ? async (since, requestId) => {
        const deps = {
          jobs: new DynamoReconcileJobStore({ client: document, tableName }),
          subscriptions: subscriptionLookup(clients.subscriptions),
          queue: new SqsWorkQueue<ReconcileMessage>({ client: sqs, queueUrl: reconcileQueueUrl }),
          compileCriteria,
          ...(bucket ? { idListLocation: (jobId: string) => idListLocation(bucket, jobId) } : {}),
          ...(logger ? { logger } : {}),
        };
        const active = (await clients.subscriptions.list()).filter(
          (subscription) => subscription.status === 'active',
        );
        const scope = { resourceTypes: [], resourceIds: [], searchUrls: [], since };
        const jobIds: string[] = [];
        for (const subscription of active) {
          jobIds.push(
            await startReconcileJob(
              { subscriptionId: subscription.id, mode: 'compare', contentHash: false, scope },
              deps,
              requestId,
            ),
          );
        }
        return jobIds;
      }
    : undefined;
  return {
    sources: values.notificationSources,
    rules: { allowedOrigins: values.notificationAllowedOrigins, isResourceType: isKnownResourceType },
    states: new DynamoSourceSubscriptionStore({ client: document, tableName }),
    jobs: {
      jobs: new DynamoJobStore({ client: document, tableName }),
      queue: new SqsWorkQueue({ client: sqs, queueUrl: values.backfillQueueUrl ?? '' }),
      ...(logger ? { logger } : {}),
    },
    ...(reconcile ? { reconcile } : {}),
    ...(logger ? { logger } : {}),
    catchUpMarginSeconds: values.catchUpMarginSeconds,
    gapGraceSeconds: values.gapGraceSeconds,
    ...(values.heartbeatToleranceSeconds === undefined
      ? {}
      : { toleranceSeconds: values.heartbeatToleranceSeconds }),
  };
};
