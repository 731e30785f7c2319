/** Environment variables of the SQL target: the write pipeline's routing and the SQL writer Lambda. */
export const SQL_WRITER_ENV = {
  /** The SQL queue (SQS FIFO) SQL-target matches go to; ingest and backfill send, the SQL writer reads. */
  queueUrl: 'SQL_QUEUE_URL',
  /** Its FIFO dead-letter queue: failures with their cause. */
  dlqUrl: 'SQL_DLQ_URL',
  /** Comma-separated SQL target names a Subscription may name as `sql://<name>` (ingest's allow-list). */
  targetNames: 'SQL_TARGET_NAMES',
  /** The SQL writer's target: its name (`sql://<name>`). */
  targetName: 'SQL_TARGET_NAME',
  /** `postgres://user@host:port/database`, without a password (it comes from SQL_AUTH). */
  url: 'SQL_URL',
  /** How the writer authenticates: `none` (local), `secret` (Secrets Manager) or `iam` (RDS IAM token). */
  auth: 'SQL_AUTH',
  /** Secrets Manager secret id of `secret` auth: JSON with `password` (and optionally `username`). */
  secretId: 'SQL_SECRET_ID',
  /** TLS to the database: `verify-full` (default: the RDS CA bundle Lambda's Node ships), `require`, `off` (loopback only). */
  tls: 'SQL_TLS',
  /** Signing region of IAM auth tokens (default the function's region). */
  iamRegion: 'SQL_IAM_REGION',
  /** A mapping file bundled with the writer (JSON or YAML); unset = the default transformers. */
  mappingFile: 'SQL_MAPPING_FILE',
  /** PostgreSQL schema of the tables (overrides the mapping's). */
  schema: 'SQL_SCHEMA',
  /** Run the mapping's DDL (idempotent CREATE ... IF NOT EXISTS) at cold start. */
  applySchema: 'SQL_APPLY_SCHEMA',
  /** Connections in the writer's pool per instance. */
  maxConnections: 'SQL_MAX_CONNECTIONS',
  /** Name and reuse prepared statements per connection (off behind a pooler that does not keep them). */
  prepareStatements: 'SQL_PREPARE_STATEMENTS',
} as const;

/** The SQL writer's Powertools service name (the `service` dimension its alarms and dashboard select). */
export const SQL_WRITER_SERVICE = 'healthlake-connector-sql-writer';

/** Metric names of the SQL writer (namespace and `service` dimension as every connector function). */
export const SQL_WRITER_METRICS = {
  written: 'SqlResourcesWritten',
  deleted: 'SqlResourcesDeleted',
  unchanged: 'SqlResourcesUnchanged',
  unmapped: 'SqlResourcesUnmapped',
  rows: 'SqlRowsWritten',
  retried: 'SqlWritesRetried',
  deadLettered: 'SqlWritesDeadLettered',
  schemaProblems: 'SqlSchemaProblems',
} as const;
