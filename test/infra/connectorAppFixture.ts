import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildConnectorApp, type ConnectorApp } from '../../infra/buildConnectorApp.js';
import { InvalidConfigurationError } from '../../infra/config/errors.js';
import { parseConnectorConfig, type ConnectorConfig } from '../../infra/config/parseConnectorConfig.js';
import type { ConnectorConfigInput } from '../../infra/config/schema.js';
import {
  DEFAULT_ENTRY_POINTS,
  type ConnectorEntryPoints,
} from '../../infra/stacks/HealthLakeConnectorStack.js';

const repoRoot = resolve(import.meta.dirname, '../..');

/** The committed example configuration, as the README tells users to start from. */
export const exampleConfigInput = (): ConnectorConfigInput =>
  JSON.parse(
    readFileSync(resolve(repoRoot, 'connector.config.example.json'), 'utf8'),
  ) as ConnectorConfigInput;

/**
 * Handler files to bundle: the real ones where they exist; for one still being written elsewhere, a
 * stand-in under .local/ (git-ignored), never a file in lambdas/.
 */
export const entryPointsForTests = (): ConnectorEntryPoints => {
  const pick = (path: string): string => {
    if (existsSync(resolve(repoRoot, path))) return path;
    const standIn = resolve(repoRoot, '.local/infra-test-entries', path);
    mkdirSync(dirname(standIn), { recursive: true });
    writeFileSync(standIn, 'export const handler = async (): Promise<void> => {};\n');
    return standIn;
  };
  return {
    ingest: pick(DEFAULT_ENTRY_POINTS.ingest),
    deliverer: pick(DEFAULT_ENTRY_POINTS.deliverer),
    backfillWorker: pick(DEFAULT_ENTRY_POINTS.backfillWorker),
    reconcileWorker: pick(DEFAULT_ENTRY_POINTS.reconcileWorker),
    subscriptionProvisioner: pick(DEFAULT_ENTRY_POINTS.subscriptionProvisioner),
    notificationCheck: pick(DEFAULT_ENTRY_POINTS.notificationCheck),
  };
};

/** The context `cdk synth` runs with: cdk.json's feature flags. */
export const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(resolve(repoRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
    .context;

/**
 * Builds the app for a configuration (example config with `overrides` merged at the top level).
 * `bundle: false` skips esbuild (CDK's `aws:cdk:bundling-stacks` context) for tests that only look at
 * infrastructure properties another test file already synthesized with real bundles.
 */
export const buildTestApp = (
  overrides: Partial<ConnectorConfigInput> = {},
  options: { readonly bundle?: boolean } = {},
): { app: App; built: ConnectorApp; config: ConnectorConfig } => {
  const config = parseConnectorConfig({ ...exampleConfigInput(), ...overrides }, 'test');
  mkdirSync(join(repoRoot, '.local'), { recursive: true });
  const app = new App({
    // One directory per app: test files run in parallel processes and each removes its own.
    outdir: mkdtempSync(join(repoRoot, '.local', 'infra-test-cdk.out-')),
    // The feature flags of cdk.json, so tests see the templates `cdk synth` writes.
    context: {
      ...cdkJsonContext(),
      ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  const built = buildConnectorApp(app, config, { entryPoints: entryPointsForTests() });
  return { app, built, config };
};

/** The problems the configuration schema lists for `raw`, or [] when it accepts it. */
export const configProblemsOf = (raw: unknown): readonly string[] => {
  try {
    parseConnectorConfig(raw, 'test');
  } catch (error) {
    if (error instanceof InvalidConfigurationError) return error.problems;
    throw error;
  }
  return [];
};

/**
 * Runs the CDK app (`infra/app.ts`, what `cdk synth` runs) with `context`, in a process of its own and
 * into a throw-away output directory; returns its exit status and output.
 */
export const runCdkApp = (context: Record<string, unknown>): SpawnSyncReturns<string> => {
  const outdir = mkdtempSync(join(tmpdir(), 'hlc-synth-'));
  try {
    return spawnSync('npx', ['tsx', 'infra/app.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
};
