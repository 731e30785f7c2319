import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** The HealthLake data-plane actions the connector needs: writes only, never reads or searches. */
export const HEALTHLAKE_WRITE_ACTIONS = [
  'healthlake:CreateResource',
  'healthlake:UpdateResource',
  'healthlake:DeleteResource',
] as const;

/** The data-plane reads reconcile needs (Service Authorization Reference: both on `datastore`). */
export const HEALTHLAKE_READ_ACTIONS = ['healthlake:ReadResource', 'healthlake:SearchWithGet'] as const;

/**
 * What a reader of a HealthLake *source* calls (shared/backfill/source/SourceFhirClient.ts): reads and
 * GET searches, and `GET [base]/metadata` (healthlake:GetCapabilities, on `datastore`) to plan `[*]`
 * backfills and reconciles. It never searches with POST.
 */
export const HEALTHLAKE_SOURCE_READ_ACTIONS = [
  ...HEALTHLAKE_READ_ACTIONS,
  'healthlake:GetCapabilities',
] as const;

/** A HealthLake data store as the stack grants access to it. */
export interface HealthLakeDataStoreRef {
  readonly region: string;
  readonly account: string;
  readonly datastoreId: string;
  /** The data store's customer-managed KMS key (in its region), when it has one. */
  readonly kmsKeyArn?: string;
}

/**
 * `arn:{partition}:healthlake:{region}:{account}:datastore/fhir/{id}`, in the partition of the stack
 * `scope` belongs to (a literal when the stack's region is known, else `AWS::Partition`).
 */
export const healthLakeDataStoreArn = (scope: IConstruct, store: HealthLakeDataStoreRef): string =>
  Stack.of(scope).formatArn({
    service: 'healthlake',
    region: store.region,
    account: store.account,
    resource: 'datastore',
    resourceName: `fhir/${store.datastoreId}`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });

/** `us-east-1` -> `UsEast1`, for statement ids (letters and digits only). */
const sidSuffix = (region: string): string =>
  region
    .split('-')
    .map((part) => `${part.charAt(0).toUpperCase()}${part.slice(1)}`)
    .join('');

/** The distinct keys of `stores`, grouped by the region HealthLake uses them in. */
const keysByRegion = (stores: readonly HealthLakeDataStoreRef[]): Map<string, string[]> => {
  const grouped = new Map<string, string[]>();
  for (const { region, kmsKeyArn } of stores) {
    if (kmsKeyArn === undefined) continue;
    const keys = grouped.get(region) ?? [];
    if (!keys.includes(kmsKeyArn)) keys.push(kmsKeyArn);
    grouped.set(region, keys);
  }
  return grouped;
};

/** Only through HealthLake in the data store's region: a key never serves anything else. */
const viaHealthLake = (region: string) => ({ 'kms:ViaService': `healthlake.${region}.amazonaws.com` });

/**
 * What a HealthLake writer needs on each data store's customer-managed key, per the HealthLake developer
 * guide (Encryption at rest): kms:DescribeKey (every operation), kms:GenerateDataKey (writes) and
 * kms:CreateGrant (only for AWS resources); kms:Decrypt only serves reads and searches, which the
 * deliverer never makes. One pair of statements per region, each with that region's `kms:ViaService`.
 * https://docs.aws.amazon.com/healthlake/latest/devguide/encryption-at-rest.html
 */
export const healthLakeKeyWriteStatements = (
  stores: readonly HealthLakeDataStoreRef[],
): iam.PolicyStatement[] =>
  [...keysByRegion(stores)].flatMap(([region, keys]) => [
    new iam.PolicyStatement({
      sid: `UseHealthLakeDataStoreKeys${sidSuffix(region)}`,
      actions: ['kms:DescribeKey', 'kms:GenerateDataKey'],
      resources: keys,
      conditions: { StringEquals: viaHealthLake(region) },
    }),
    new iam.PolicyStatement({
      sid: `GrantHealthLakeDataStoreKeys${sidSuffix(region)}`,
      actions: ['kms:CreateGrant'],
      resources: keys,
      conditions: { StringEquals: viaHealthLake(region), Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  ]);

/**
 * What a HealthLake reader (reconcile, or a reader of a HealthLake source) needs on each data store's
 * key, per the same guide: kms:DescribeKey and kms:Decrypt, through HealthLake in the key's region.
 *
 * @param sidPrefix - names the statements (a region suffix is added), unique within the role's policy
 */
export const healthLakeKeyReadStatements = (
  stores: readonly HealthLakeDataStoreRef[],
  sidPrefix = 'ReadWithHealthLakeDataStoreKeys',
): iam.PolicyStatement[] =>
  [...keysByRegion(stores)].map(
    ([region, keys]) =>
      new iam.PolicyStatement({
        sid: `${sidPrefix}${sidSuffix(region)}`,
        actions: ['kms:DescribeKey', 'kms:Decrypt'],
        resources: keys,
        conditions: { StringEquals: viaHealthLake(region) },
      }),
  );
