import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONNECTOR_BUNDLING } from '../../../infra/bundling/bundlingOptions.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The source files esbuild puts in a function's bundle, bundled as CDK bundles it. */
const bundledInputs = async (entry: string): Promise<string[]> => {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    outfile: '/bundle/index.js',
    platform: 'node',
    format: 'cjs',
    minify: CONNECTOR_BUNDLING.minify,
    target: CONNECTOR_BUNDLING.target,
    mainFields: CONNECTOR_BUNDLING.mainFields,
    external: CONNECTOR_BUNDLING.externalModules,
    logLevel: 'error',
  });
  return Object.values(result.metafile.outputs).flatMap((output) => Object.keys(output.inputs));
};

describe('deliverer bundle', () => {
  // The criteria engine and its generated search parameter table were 572 KB of the deliverer's
  // bundle when the delivery message schema imported two limits from the compiler (cold start).
  it('leaves out the criteria engine: the delivery message schema takes only its limits', async () => {
    const inputs = await bundledInputs('lambdas/deliverer/handler.ts');
    expect(inputs).toContain('shared/messages/deliveryMessage.ts');
    // The limits are constants, which esbuild inlines: nothing of shared/criteria remains.
    expect(inputs.filter((input) => input.startsWith('shared/criteria/'))).toEqual([]);
  });
});
