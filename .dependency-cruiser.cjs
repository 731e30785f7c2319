// Import rules, checked by `npm test` (`npm run check:layers`). The code reads bottom up: each folder of
// `shared/` imports only the layers below it (and its own layer's folders, without a cycle); above
// the domain sit the Lambdas, then local mode, the CLI, the CDK app and the benchmarks. The README's
// "Where things are" draws the same order.

/** The layers of `shared/`, bottom first. A folder may import its own layer and those below. */
const SHARED_LAYERS = [
  ['fhir', 'http', 'state', 'config', 'cache'], // FHIR and HTTP basics, the table layout, typed environment, bounded caches
  ['criteria', 'replication', 'versions', 'fhirClient', 'sqlTarget', 'notifications'], // building blocks
  ['healthlake'], // the HealthLake data plane client
  ['payloadSearch'],
  ['messages', 'subscriptions'],
  ['delivery', 'ingest', 'sqlWriter'], // the two sides of the queue, and the SQL target's writer
  ['backfill'],
  ['reconcile'],
  ['notificationIntake'], // backport notifications in: the route, and the catch-ups it starts
  ['operator'], // what the CLI calls
  ['runtime'], // environment contracts and the builders that assemble the domain from them
];

const alt = (folders) => `(${folders.join('|')})`;
const layerRules = SHARED_LAYERS.slice(0, -1).map((layer, index) => {
  const above = SHARED_LAYERS.slice(index + 1).flat();
  return {
    name: `layer-${layer.join('-')}`,
    comment: `shared/{${layer.join(',')}} may not import a higher layer: ${above.join(', ')}`,
    severity: 'error',
    from: { path: `^shared/${alt(layer)}/` },
    to: { path: `^shared/${alt(above)}/` },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-file-cycles',
      comment:
        'No file imports itself through others (type-only imports count: they are a circle to a reader).',
      severity: 'error',
      from: { path: '^(shared|lambdas|bin|local)/' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment: 'No folder imports itself through other folders.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(shared|lambdas|bin|local)/' },
      to: { circular: true },
    },
    {
      name: 'shared-points-down',
      comment: 'The domain never imports the code that assembles or drives it.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(lambdas|local|infra|bin|bench|test)/' },
    },
    {
      name: 'lambdas-stay-apart',
      comment: 'A Lambda imports the domain, never another Lambda, local mode, the CLI or the CDK app.',
      severity: 'error',
      from: { path: '^lambdas/([^/]+)/' },
      to: { path: '^(lambdas/(?!$1/)|local/|infra/|bin/|bench/)' },
    },
    {
      name: 'cli-and-app-not-local',
      comment: 'The CLI and the CDK app run against deployed stacks; local mode is above them, not below.',
      severity: 'error',
      from: { path: '^(bin|infra)/' },
      to: { path: '^(local|bench|test)/' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out|reports|\\.stryker-tmp)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
