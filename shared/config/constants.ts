/**
 * Names of the environment variables the Lambdas read. The CDK constructs set them and local mode
 * sets them, so both run the same handler code. AWS SDK endpoints are overridden with the SDK's own
 * service-specific variables (AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL_STS, ...), so no code here special-cases local mode.
 */
export const ENV = {
  /** DynamoDB table holding the version ledger, delivery records, subscriptions and backfill jobs. */
  stateTable: 'STATE_TABLE_NAME',
  /** SQS FIFO delivery queue URL. */
  deliveryQueueUrl: 'DELIVERY_QUEUE_URL',
  /** SQS FIFO dead-letter queue URL of the delivery queue. */
  deliveryDlqUrl: 'DELIVERY_DLQ_URL',
  /** SQS queue URL of backfill page work. */
  backfillQueueUrl: 'BACKFILL_QUEUE_URL',
  /** Its dead-letter queue: notification reads the source keeps failing are sent there with their cause. */
  backfillDlqUrl: 'BACKFILL_DLQ_URL',
  /** Receives of a page before the worker settles it (the queue's maxReceiveCount, `backfill.retryCount`). */
  backfillMaxReceives: 'BACKFILL_MAX_RECEIVES',
  /** S3 bucket for payloads too large for an SQS message. */
  payloadBucket: 'PAYLOAD_BUCKET_NAME',
  /** HealthLake data store endpoint, `https://healthlake.{region}.amazonaws.com/datastore/{id}/r4/`. */
  healthLakeEndpoint: 'HEALTHLAKE_ENDPOINT',
  /**
   * `moduleId=endpoint` entries, comma-separated (healthLake.moduleEndpoints): Smile's
   * awshealthlake-sender-module-id routes an endpoint-less Subscription to that data store.
   */
  healthLakeModuleEndpoints: 'HEALTHLAKE_MODULE_ENDPOINTS',
  /** `name=functionArn` entries, comma-separated (delivery.transforms): the allow-listed transforms. */
  deliveryTransforms: 'DELIVERY_TRANSFORMS',
  /** The longest a transform may take, ms (delivery.transformTimeoutSeconds). */
  deliveryTransformTimeoutMs: 'DELIVERY_TRANSFORM_TIMEOUT_MS',
  /** Comma-separated data store endpoints a Subscription may target (the allow-list). */
  allowedEndpoints: 'ALLOWED_HEALTHLAKE_ENDPOINTS',
  /** Customer role to assume for HealthLake; empty = same-account mode (function's own credentials). */
  healthLakeRoleArn: 'HEALTHLAKE_ROLE_ARN',
  /** ExternalId for AssumeRole into the customer role. */
  healthLakeExternalId: 'HEALTHLAKE_EXTERNAL_ID',
  /** STS session length of the customer role, seconds (900-3600; role chaining caps it at one hour). */
  healthLakeSessionDurationSeconds: 'HEALTHLAKE_SESSION_DURATION_SECONDS',
  /**
   * Signing region for a data store endpoint whose host names no region (stand-ins); a
   * `healthlake.{region}.amazonaws.com` endpoint is always signed with its own region.
   */
  healthLakeRegion: 'HEALTHLAKE_REGION',
  /** Connector id: names STS sessions and derives the auto-managed subscription id. */
  connectorId: 'CONNECTOR_ID',
  /** "true": the deployment owns the auto-managed subscription (the API refuses to change it). */
  autoSubscription: 'AUTO_SUBSCRIPTION_ENABLED',
  /** Default delivery retry count (attempts before the DLQ). */
  deliveryRetryCount: 'DELIVERY_RETRY_COUNT',
  /** Source FHIR server base URL for backfill. */
  sourceFhirBaseUrl: 'SOURCE_FHIR_BASE_URL',
  /** How the source server is authenticated: none | bearer | basic | sigv4 | oauth2. */
  sourceFhirAuth: 'SOURCE_FHIR_AUTH',
  /** Secrets Manager secret id holding the source server credentials. */
  sourceFhirSecretId: 'SOURCE_FHIR_SECRET_ID',
  /** Local mode only: the source credentials themselves (the secret's JSON); the stack never sets it. */
  sourceFhirSecret: 'SOURCE_FHIR_SECRET',
  /** Backfill search page size (`_count` added to searches without one; default 100). */
  sourceFhirPageSize: 'SOURCE_FHIR_PAGE_SIZE',
  /** Most requests per second the backfill sends to the source server (0 = unlimited). */
  sourceFhirRequestsPerSecond: 'SOURCE_FHIR_REQUESTS_PER_SECOND',
  /** SigV4 source auth: signing service (default `healthlake`). */
  sourceFhirSigV4Service: 'SOURCE_FHIR_SIGV4_SERVICE',
  /** SigV4 source auth: signing region (required; the stack writes it from the configuration). */
  sourceFhirRegion: 'SOURCE_FHIR_REGION',
  /** Largest response body read from the source server (and, in reconcile, HealthLake), bytes. */
  sourceFhirMaxResponseBytes: 'SOURCE_FHIR_MAX_RESPONSE_BYTES',
  /** Secrets Manager secret id holding the client certificate, key and CA bundle (`{cert, key, ca}`). */
  sourceFhirTlsSecretId: 'SOURCE_FHIR_TLS_SECRET_ID',
  /** Local mode only: the TLS secret's JSON itself; the stack never sets it. */
  sourceFhirTlsSecret: 'SOURCE_FHIR_TLS_SECRET',
  /** Ingest authentication: SSM parameter / secret holding hashed bearer tokens. */
  ingestTokenSecretId: 'INGEST_TOKEN_SECRET_ID',
  /** Comma-separated type order of a backfill of everything (default: supporting types first). */
  backfillTypeOrder: 'BACKFILL_TYPE_ORDER',
  /** Most entries in one Bundle the connector sends to HealthLake (healthLake.maxBundleEntries; default 160). */
  healthLakeMaxBundleEntries: 'HEALTHLAKE_MAX_BUNDLE_ENTRIES',
  /** Most transaction Bundles per second one deliverer instance sends to one data store (payload search). */
  healthLakeBundleRequestsPerSecond: 'HEALTHLAKE_BUNDLE_REQUESTS_PER_SECOND',
  /** Base URL the ingest API is served at (for Location headers). */
  publicBaseUrl: 'PUBLIC_BASE_URL',
} as const;

/** HAPI FHIR subscription channel extensions the connector honours. */
export const HAPI_EXTENSION_PREFIX = 'http://hapifhir.io/fhir/StructureDefinition/';
export const SUBSCRIPTION_EXTENSIONS = {
  sendDeleteMessages: `${HAPI_EXTENSION_PREFIX}subscription-send-delete-messages`,
  deliverLatestVersion: `${HAPI_EXTENSION_PREFIX}subscription-resthook-deliver-latest-version`,
  deliveryRetryCount: `${HAPI_EXTENSION_PREFIX}subscription-delivery-retry-count`,
  stripVersionIds: `${HAPI_EXTENSION_PREFIX}subscription-resthook-strip-version-ids`,
  /** On `Subscription.extension` (not the channel): deliver a search's results as one transaction. */
  payloadSearchCriteria: `${HAPI_EXTENSION_PREFIX}subscription-payload-search-criteria`,
} as const;

/** Smile CDR channel extensions (seed 001, 003): replication settings and Smile's own wiring. */
export const SMILE_EXTENSION_PREFIX = 'https://smilecdr.com/fhir/ns/StructureDefinition/';
export const SMILE_EXTENSIONS = {
  replicateMode: `${SMILE_EXTENSION_PREFIX}subscription-channel-rest-replicate-mode`,
  replicateIdPrefix: `${SMILE_EXTENSION_PREFIX}subscription-channel-rest-replicate-id-prefix`,
  replicateIdPrefixSelector: `${SMILE_EXTENSION_PREFIX}subscription-channel-rest-replicate-id-prefix-selector`,
  replicateStripIdPrefix: `${SMILE_EXTENSION_PREFIX}subscription-channel-rest-replicate-strip-id-prefix`,
  replicateStripReferenceBaseUrl: `${SMILE_EXTENSION_PREFIX}subscription-channel-rest-replicate-strip-reference-base-url`,
  deliveryClass: `${SMILE_EXTENSION_PREFIX}subscription-channel-rest-delivery-class`,
  healthLakeSenderModuleId: `${SMILE_EXTENSION_PREFIX}subscription-channel-awshealthlake-sender-module-id`,
} as const;

/**
 * The connector's own Subscription extensions. `subscription-transform` (valueString, on
 * `Subscription.extension` or `channel.extension`) names an allow-listed delivery transform
 * (`delivery.transforms`), the place of Smile CDR's custom deliverer class.
 */
export const CONNECTOR_EXTENSION_PREFIX = 'urn:healthlake-connector:StructureDefinition:';
export const CONNECTOR_EXTENSIONS = {
  transform: `${CONNECTOR_EXTENSION_PREFIX}subscription-transform`,
} as const;

/** The largest SQS message body, in bytes (1 MiB). Larger payloads go to S3. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
