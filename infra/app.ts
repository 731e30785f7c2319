import { Annotations, App } from 'aws-cdk-lib';
import { buildConnectorApp, type ConnectorApp } from './buildConnectorApp.js';
import { InvalidConfigurationError } from './config/errors.js';
import { EXAMPLE_CONFIG_FILE, loadConnectorConfig, type LoadedConfig } from './config/loadConnectorConfig.js';

/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`). The only place configuration is read: context
 * `configFile` (default connector.config.json, else the committed example) overlaid with context
 * `connector`. An invalid configuration, or one whose stack would pass a deploy-time limit, stops synth
 * with every problem listed.
 */
const app = new App();
let loaded: LoadedConfig;
let connector: ConnectorApp['connector'];
try {
  loaded = loadConnectorConfig((key) => app.node.tryGetContext(key));
  ({ connector } = buildConnectorApp(app, loaded.config));
} catch (error) {
  if (error instanceof InvalidConfigurationError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
if (loaded.usedExample) {
  Annotations.of(connector).addWarningV2(
    'connector:example-configuration',
    `No configuration given: synthesized with ${EXAMPLE_CONFIG_FILE}. Copy it to connector.config.json (or pass -c configFile=...) before deploying.`,
  );
}
app.synth();
