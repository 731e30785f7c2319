import { dataStoreLabel } from '../shared/healthlake/dataStoreLabel.js';
import { exposureWarning } from './exposureWarning.js';
import { redactedPostgresUrl } from './redactedPostgresUrl.js';
import type { LocalConnector } from './connector.js';

/** The banner `npm start` prints: where everything listens, the token and a first request. */
export const readyBanner = (connector: LocalConnector): string => {
  const lines = [
    '',
    `HealthLake connector (local mode) ready in ${(connector.readyMs / 1000).toFixed(1)}s`,
    '',
    `  ingest API (FHIR R4)   ${connector.apiUrl}`,
    `  HealthLake data store  ${connector.healthLakeEndpoint}${connector.healthlake ? '  (stand-in, SigV4 + STS)' : ''}`,
    ...connector.additionalEndpoints.map(
      (endpoint) =>
        `  + data store           ${endpoint}${connector.healthlake?.datastores.has(dataStoreLabel(endpoint)) && endpoint.startsWith(connector.healthlake.endpoint.slice(0, connector.healthlake.endpoint.indexOf('/datastore/'))) ? '  (stand-in)' : ''}`,
    ),
    ...(connector.healthlake ? [`  STS                    ${connector.healthlake.stsEndpoint}`] : []),
    ...(connector.sourceFhirBaseUrl
      ? [
          `  source FHIR server     ${connector.sourceFhirBaseUrl}${connector.source ? '  (stand-in, no auth)' : ''}`,
        ]
      : []),
    ...(connector.sql
      ? [
          `  SQL target             ${connector.sql.endpoint}  ${redactedPostgresUrl(connector.sql.url)}${connector.sql.embedded ? '  (embedded PGlite: psql connects here)' : ''}`,
        ]
      : []),
    `  SQS / S3               ${connector.sqsEndpoint ?? 'AWS'}`,
    `  delivery queue         ${connector.resources.deliveryQueueUrl}`,
    `  dead-letter queue      ${connector.resources.deliveryDlqUrl}`,
    ...(connector.autoSubscriptionId
      ? [
          `  subscription           Subscription/${connector.autoSubscriptionId} (${connector.config.autoSubscriptionCriteria})`,
        ]
      : []),
    connector.config.dataDir
      ? `  state                  kept in ${connector.config.dataDir} across restarts`
      : '  state                  in memory: lost at Ctrl-C (--data-dir <folder> keeps it)',
    '',
    `  development token      ${connector.token}  (admin: writes, Subscriptions, backfill, /_local/*)`,
    `  producer token         ${connector.writeToken}  (write only: FHIR writes, transactions, batches)`,
    ...(exposureWarning(connector.config.host)
      ? ['', `  WARNING: ${exposureWarning(connector.config.host)}`]
      : []),
    '',
    'Try:',
    `  export HLC_API_URL=${connector.apiUrl} HLC_TOKEN=${connector.token}`,
    `  curl -s -X PUT "$HLC_API_URL/Patient/example" -H "Authorization: Bearer $HLC_TOKEN" \\`,
    `    -H 'Content-Type: application/fhir+json' -d '{"resourceType":"Patient","id":"example","active":true}'`,
    `  npm run cli -- status`,
    ...(connector.sql
      ? [
          '',
          `Relational export (${connector.sql.endpoint}): subscribe, write, then query with psql:`,
          `  curl -s -X PUT "$HLC_API_URL/Subscription/sql-export" -H "Authorization: Bearer $HLC_TOKEN" \\`,
          `    -H 'Content-Type: application/fhir+json' -d '{"resourceType":"Subscription","id":"sql-export","status":"requested","reason":"SQL","criteria":"[*]","channel":{"type":"rest-hook","endpoint":"${connector.sql.endpoint}","payload":"application/fhir+json","extension":[{"url":"http://hapifhir.io/fhir/StructureDefinition/subscription-send-delete-messages","valueBoolean":true}]}}'`,
          `  psql "${redactedPostgresUrl(connector.sql.url)}" -c 'SELECT id, gender, birth_date FROM patient'`,
        ]
      : []),
    '',
  ];
  return lines.join('\n');
};
