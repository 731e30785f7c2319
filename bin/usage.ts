/** `hlc --help`. */
export const USAGE = `hlc: operator CLI of the HealthLake outbound connector

usage: hlc <command> [options]

commands
  status                              queue depths (delivery, DLQ, backfill), oldest message age, delivery counts
  dlq list [--show-content] [--max N] [--backfill]
                                      DLQ messages with their recorded causes (content only with --show-content);
                                      --backfill: the backfill DLQ (notification reads the source kept failing)
  dlq redrive [--method auto|move-task|copy] [--max N] [--no-wait] [--backfill]
                                      move DLQ messages back to the delivery queue (--backfill: to the
                                      backfill queue, where each read is made again from the source)
  delivery pause | resume | status    stop or restart delivery to HealthLake (the deliverer's event source
                                      mapping); paused, writes are accepted and wait in the delivery queue
  subscriptions list
  subscriptions get <id>
  subscriptions create --criteria <c> [--endpoint <url>] [--id <id>] [--no-deletes] [--no-latest-version]
                       [--retry-count N] [--strip-version-ids] [--payload-search <Type?params>]
                                      without --endpoint: the deployment's primary data store
  subscriptions delete <id>
  subscriptions explain <file>        which active Subscriptions a resource (a JSON file) would match, and
                                      for each that would not, the first criterion it fails; writes nothing
  backfill start <subscriptionId> [--search-url <url>]... [--resource-id <Type/id>]... [--watch]
                                      neither --search-url nor --resource-id: everything the Subscription covers
  backfill watch <jobId> [--interval s] [--timeout s]
  backfill cancel <jobId>
  ledger reset <Type>[/<id>] [--yes]  clear the version ledger and delivered versions of one resource or a
                                      whole type ($reset-version, admin), so the next write is delivered;
                                      a whole type asks first (--yes answers)
  reconcile start <subscriptionId> [--mode compare|repair|repair-and-prune] [--type T]... [--resource-id <Type/id>]...
                  [--search-url <url>]... [--since <dateTime>] [--until <dateTime>] [--content-hash]
                  [--confirm-prune N --compare-job <jobId>] [--watch]
  reconcile watch <jobId> [--interval s] [--timeout s]
  reconcile report <jobId>            the report as a table (a row per type, a column per outcome) and
                                      sample ids
  reconcile cancel <jobId>
  sync <server URL | search URL | files, folders or file: URLs...> [--type T[,T]]... | [--resource-id Type/id]...
       [--prefix-numeric-ids PFX] [--parallel N] [--retries N] [--synthea] [--upload-bundles-as-transactions]
       [--source-bearer-token T | --source-basic-auth user:pass | --source-token-url U --source-client-id C
        [--source-client-secret S] [--source-scope S] | --source-auth sigv4 --source-region R
        [--source-sigv4-service S] | --source-auth K --source-secret-file F]
       [--source-cert F --source-key F] [--source-ca F] [--max-response-bytes N]
       [--source-page-size N] [--source-requests-per-second N]
                                      copy into the ingest API, streamed page by page: types in order (each
                                      completes first), numeric ids prefixed with their references;
                                      --synthea loads the hospital/practitioner Bundles first and resolves
                                      ifNoneExist entries. Secrets also from HLC_SOURCE_TOKEN,
                                      HLC_SOURCE_BASIC_AUTH, HLC_SOURCE_CLIENT_SECRET, HLC_SOURCE_KEY_PASSPHRASE.
                                      smileutil spellings: -s/--source, -t/--target, -v/--fhir-version R4,
                                      -m/--mode COPY|SYNTHEA, -r/--resource-types, --resource-ids,
                                      --thread-count, --target-bearer-token, --target-retry-count, --request-id
  send <files or folders...> [--parallel N]
                                      FHIR JSON, NDJSON and Bundles to the ingest API
  token create --name <name> [--scope write|admin]
                                      a new bearer token and its entry for the token secret (the hash only)
  local healthlake list [<Type>]      local mode: what reached the HealthLake stand-in (resources per type
                                      and its newest requests, or a type's ids and versions)
  local healthlake get <Type>/<id>    local mode: that resource as the HealthLake stand-in holds it, and its
                                      versions (admin token)
  sql schema [--mapping <file>] [--schema <name>] [--foreign-keys] [--apply --sql-url <postgres://...>]
                                      the DDL the SQL transformers need (default transformers without
                                      --mapping); --apply runs it, then checks the schema
  sql check [--mapping <file>] [--schema <name>] --sql-url <postgres://...>
                                      every table, column and key an existing schema lacks
  sql mapping                         the default transformers as YAML, to start a mapping of one's own

options (flag / environment)
  --stack / HLC_STACK                 a deployed stack (HealthLakeConnector-{connectorId}): the API URL, auth
                                      mode, queue URLs, delivery mapping and connector id from its outputs
                                      (CloudFormation DescribeStacks); flags and variables still win
  --api / HLC_API_URL                 ingest API base URL (default http://127.0.0.1:8080)
  --token / HLC_TOKEN                 bearer token of the ingest API (admin scope for subscriptions, backfill
                                      and local mode's /_local/*; write scope is enough for send)
  --iam / HLC_AUTH=iam                an API in IAM mode (stack output IngestAuthMode = iam): SigV4-sign every
                                      request (execute-api) with the SDK's default credential chain
  --region / AWS_REGION               AWS region (default us-east-1)
  --endpoint-url / HLC_SQS_ENDPOINT   SQS endpoint (or AWS_ENDPOINT_URL_SQS)
  --delivery-queue-url / HLC_DELIVERY_QUEUE_URL, --dlq-url / HLC_DLQ_URL,
  --backfill-queue-url / HLC_BACKFILL_QUEUE_URL, --backfill-dlq-url / HLC_BACKFILL_DLQ_URL,
  --sql-queue-url / HLC_SQL_QUEUE_URL, --sql-dlq-url / HLC_SQL_DLQ_URL
                                      queue URLs (stack outputs when deployed; discovered from local mode)
  --cloudwatch-endpoint / HLC_CLOUDWATCH_ENDPOINT
                                      CloudWatch endpoint (deployed stacks: oldest message age, counts)
  --delivery-mapping-id / HLC_DELIVERY_MAPPING_ID, --deliverer-function / HLC_DELIVERER_FUNCTION
                                      the deliverer's event source mapping (stack outputs), for delivery
  --lambda-endpoint / HLC_LAMBDA_ENDPOINT
                                      Lambda endpoint (or AWS_ENDPOINT_URL_LAMBDA)
  --connector-id / HLC_CONNECTOR_ID   connector id (deployed stacks: the metrics' connector dimension)
  --data-stores / HLC_DATA_STORES     data store ids whose delivered/throttled/access-denied counts status reads (deployed)
  --local-url / HLC_LOCAL_URL         where local mode serves /_local/* (config, stats, healthlake; default: --api)
  --sql-url / HLC_SQL_URL             PostgreSQL of the SQL target (password in the URL or PGPASSWORD)
  --json                              machine-readable output`;

/** A usage error: exit code 2 and the usage text. */
export class UsageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
