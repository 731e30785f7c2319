import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FUNCTION_TABLE_STORES,
  STORE_TABLE_ACTIONS,
  tableActionsOf,
  type TableStore,
} from '../../../shared/state/tableActions.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const source = (path: string): string => readFileSync(resolve(repoRoot, path), 'utf8');

/**
 * A store's source with the shared command builders (shared/state/jobUpdates.ts, queryPartition.ts)
 * and the sibling DynamoDB helpers (DynamoSubscriptionLimit.ts) it imports.
 */
const commandSource = (path: string): string => {
  const text = source(path);
  const builders = [
    ...text.matchAll(/from '(\.\.\/state\/(?:\w+Updates|queryPartition)|\.\/Dynamo\w+)\.js'/g),
  ].map((match) => source(join(dirname(path), `${match[1] as string}.ts`)));
  return [text, ...builders].join('\n');
};

/** lib-dynamodb command class -> the IAM action DynamoDB authorizes it with. */
const ACTION_OF_COMMAND: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  TransactGetCommand: 'dynamodb:GetItem',
  TransactWriteCommand: 'dynamodb:PutItem',
};

const STORE_FILES: Record<TableStore, { file: string; className: string }> = {
  subscriptions: {
    file: 'shared/subscriptions/DynamoSubscriptionStore.ts',
    className: 'DynamoSubscriptionStore',
  },
  versionLedger: { file: 'shared/versions/DynamoVersionLedger.ts', className: 'DynamoVersionLedger' },
  deliveredVersions: {
    file: 'shared/versions/DynamoDeliveredVersions.ts',
    className: 'DynamoDeliveredVersions',
  },
  backfillJobs: { file: 'shared/backfill/DynamoJobStore.ts', className: 'DynamoJobStore' },
  reconcileJobs: {
    file: 'shared/reconcile/DynamoReconcileJobStore.ts',
    className: 'DynamoReconcileJobStore',
  },
  deliveredVersionsEraser: {
    file: 'shared/versions/DynamoDeliveredVersionsEraser.ts',
    className: 'DynamoDeliveredVersionsEraser',
  },
  versionStateReset: {
    file: 'shared/versions/DynamoVersionStateReset.ts',
    className: 'DynamoVersionStateReset',
  },
  sourceSubscriptions: {
    file: 'shared/notifications/DynamoSourceSubscriptionStore.ts',
    className: 'DynamoSourceSubscriptionStore',
  },
  deliveryAttempts: {
    file: 'shared/delivery/DynamoDeliveryAttempts.ts',
    className: 'DynamoDeliveryAttempts',
  },
};

/** The files that wire each function's stores (its handler and ...FromEnv factories). */
const WIRING_FILES: Record<keyof typeof FUNCTION_TABLE_STORES, readonly string[]> = {
  ingest: [
    'lambdas/ingest/ingestDepsFromEnv.ts',
    'shared/runtime/writePipelineFromEnv.ts',
    'shared/runtime/notificationIntakeFromEnv.ts',
  ],
  deliverer: ['lambdas/deliverer/delivererHandlerFromEnv.ts'],
  sqlWriter: ['lambdas/sql-writer/sqlWriterHandlerFromEnv.ts'],
  backfillWorker: [
    'lambdas/backfill-worker/backfillWorkerHandlerFromEnv.ts',
    'shared/runtime/writePipelineFromEnv.ts',
  ],
  reconcileWorker: [
    'lambdas/reconcile-worker/reconcileWorkerHandlerFromEnv.ts',
    'shared/runtime/writePipelineFromEnv.ts',
  ],
  subscriptionProvisioner: ['lambdas/subscription-provisioner/subscriptionProvisionerHandlerFromEnv.ts'],
  notificationCheck: [
    'lambdas/notification-check/notificationCheckHandlerFromEnv.ts',
    'shared/runtime/notificationIntakeFromEnv.ts',
  ],
};

describe('Table actions per store and per function', () => {
  it.each(Object.entries(STORE_FILES))('lists exactly the DynamoDB commands %s sends', (store, { file }) => {
    const sent = [...commandSource(file).matchAll(/new (\w+Command)\(/g)].map((match) => match[1] as string);
    const actions = [...new Set(sent.map((command) => ACTION_OF_COMMAND[command] ?? `unknown ${command}`))];
    expect(actions.sort()).toEqual([...STORE_TABLE_ACTIONS[store as TableStore]].sort());
  });

  it.each(Object.entries(WIRING_FILES))('names every store the %s function builds', (fn, files) => {
    const text = files.map(source).join('\n');
    const built = Object.entries(STORE_FILES)
      .filter(([, { className }]) => new RegExp(`new ${className}\\(`).test(text))
      .map(([store]) => store)
      .sort();
    expect(built).toEqual([...FUNCTION_TABLE_STORES[fn as keyof typeof FUNCTION_TABLE_STORES]].sort());
  });

  it('grants Scan and BatchWriteItem only to ingest, for $reset-version', () => {
    const stores = Object.keys(STORE_TABLE_ACTIONS) as TableStore[];
    const bulk = stores.filter((store) =>
      tableActionsOf([store]).some((action) => /Scan|BatchWriteItem/.test(action)),
    );
    expect(bulk).toEqual(['versionStateReset']);
    const functions = Object.entries(FUNCTION_TABLE_STORES)
      .filter(([, built]) => (built as readonly TableStore[]).includes('versionStateReset'))
      .map(([fn]) => fn);
    expect(functions).toEqual(['ingest']);
  });

  it('grants DeleteItem to the reconcile worker only', () => {
    const deleting = Object.entries(FUNCTION_TABLE_STORES)
      .filter(([, stores]) => tableActionsOf(stores).includes('dynamodb:DeleteItem'))
      .map(([fn]) => fn);
    expect(deleting).toEqual(['reconcileWorker']);
  });
});
