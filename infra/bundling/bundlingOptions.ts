/**
 * How every connector function is bundled: one definition, used by `ConnectorFunction` (CDK runs
 * esbuild with it at synth) and by `npm run bench -- coldstart` (which runs esbuild with the same
 * options, so it measures the code that deploys). The output is CommonJS: an ESM bundle imports Node's
 * built-in modules through ESM facades, which evaluate every export (`node:http` then loads undici
 * for its WebSocket getter): about 12 ms more per cold start (`npm run bench -- coldstart`).
 */
export const CONNECTOR_BUNDLING: {
  readonly minify: boolean;
  readonly sourceMap: boolean;
  readonly sourcesContent: boolean;
  readonly target: string;
  readonly mainFields: string[];
  readonly externalModules: string[];
} = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node24',
  mainFields: ['module', 'main'],
  // Bundle the AWS SDK too: the versions the tests ran against, not whatever the runtime ships.
  externalModules: [],
};
