/**
 * The DynamoDB actions each store class sends to the state table (its `...Command`s), so the CDK app
 * grants every function exactly the actions of the stores it builds. test/shared/state checks these
 * lists against the commands in each store's source.
 */
export const STORE_TABLE_ACTIONS = {
  /** shared/subscriptions/DynamoSubscriptionStore.ts (with its DynamoSubscriptionLimit) */
  subscriptions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  /** shared/versions/DynamoVersionLedger.ts */
  versionLedger: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  /** shared/versions/DynamoDeliveredVersions.ts */
  deliveredVersions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
  /** shared/backfill/DynamoJobStore.ts */
  backfillJobs: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  /** shared/reconcile/DynamoReconcileJobStore.ts */
  reconcileJobs: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  /** shared/versions/DynamoDeliveredVersionsEraser.ts: reconcile repair of a pinned resource. */
  deliveredVersionsEraser: ['dynamodb:DeleteItem'],
  /** shared/versions/DynamoVersionStateReset.ts: `$reset-version` (admin scope) of a resource or a type. */
  versionStateReset: ['dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:Scan'],
  /** shared/notifications/DynamoSourceSubscriptionStore.ts: what the connector knows of each source Subscription. */
  sourceSubscriptions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  /** shared/delivery/DynamoDeliveryAttempts.ts: failed attempts per queued message. */
  deliveryAttempts: ['dynamodb:UpdateItem'],
} as const;

export type TableStore = keyof typeof STORE_TABLE_ACTIONS;

/** The stores each function builds (its ...FromEnv wiring), hence the table actions it needs. */
export const FUNCTION_TABLE_STORES = {
  /**
   * Write pipeline (ledger, subscriptions), Subscription API, `$trigger-subscription` and `$reconcile`
   * jobs, backport notifications (source subscription states, their catch-up jobs).
   */
  ingest: [
    'versionLedger',
    'subscriptions',
    'backfillJobs',
    'reconcileJobs',
    'versionStateReset',
    'sourceSubscriptions',
  ],
  /** Reads the ledger, records delivered versions, counts failed attempts. */
  deliverer: ['versionLedger', 'deliveredVersions', 'deliveryAttempts'],
  /** Counts failed attempts (the SQL target holds what it writes). */
  sqlWriter: ['deliveryAttempts'],
  /** Write pipeline (ledger, subscriptions), job progress, gaps a finished notification catch-up repaired. */
  backfillWorker: ['versionLedger', 'subscriptions', 'backfillJobs', 'sourceSubscriptions'],
  /** Write pipeline, job progress, pinned resources reset (ledger entry reset, delivered version forgotten). */
  reconcileWorker: ['versionLedger', 'subscriptions', 'reconcileJobs', 'deliveredVersionsEraser'],
  /** The heartbeat check: source subscription states, and the catch-up jobs it starts. */
  notificationCheck: ['sourceSubscriptions', 'subscriptions', 'backfillJobs', 'reconcileJobs'],
  /** The auto-managed Subscription. */
  subscriptionProvisioner: ['subscriptions'],
} as const satisfies Record<string, readonly TableStore[]>;

/**
 * Stores whose actions are granted with conditions rather than on the whole table: the version-state
 * reset may only scan for keys (no item content) and only query and batch-delete resource partitions.
 */
export const CONDITIONED_STORES: readonly TableStore[] = ['versionStateReset'];

/** The sorted union of the table actions of `stores`. */
export const tableActionsOf = (stores: readonly TableStore[]): string[] =>
  [...new Set(stores.flatMap((store) => STORE_TABLE_ACTIONS[store]))].sort();
