import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnector, type LocalConnector } from '../../../local/connector.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every `$name` written in the code the ingest Lambda is built from: each a candidate operation. */
const operationNamesInSource = (): string[] => {
  const names = new Set<string>();
  const visit = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else if (path.endsWith('.ts')) {
      for (const match of readFileSync(path, 'utf8').matchAll(/['`"/]\$([a-z][a-z-]+)/g))
        names.add(match[1] ?? '');
    }
  };
  visit(join(ROOT, 'shared'));
  visit(join(ROOT, 'lambdas'));
  return [...names].sort();
};

/** Where an operation can be invoked, and a request that invokes `$name` there. */
const LEVELS = {
  system: (name: string) => [
    { method: 'POST', path: `$${name}` },
    { method: 'GET', path: `$${name}/probe-job` },
  ],
  Subscription: (name: string) => [{ method: 'POST', path: `Subscription/probe-subscription/$${name}` }],
  clinical: (name: string) => [
    { method: 'POST', path: `Patient/$${name}` },
    { method: 'POST', path: `Patient/probe-patient/$${name}` },
  ],
} as const;
type Level = keyof typeof LEVELS;

interface Statement {
  rest: {
    operation?: { name: string; definition: string; documentation?: string }[];
    resource: { type: string; operation?: { name: string; documentation?: string }[] }[];
  }[];
}

/** What every configuration lists; `$subscription-notification` only with notification sources. */
const ALWAYS_LISTED = [
  'Subscription trigger-subscription',
  'clinical reset-version',
  'system backfill-job',
  'system explain-subscriptions',
  'system notification-status',
  'system reconcile',
  'system reconcile-job',
];

describe.each([
  { configuration: 'without notification sources', notificationSources: undefined, extra: [] },
  {
    configuration: 'with notification sources',
    notificationSources: JSON.stringify([{ subscription: 'admissions', resourceTypes: ['Patient'] }]),
    extra: ['system subscription-notification'],
  },
])(
  'GET metadata lists every operation the API serves, and only those ($configuration)',
  ({ notificationSources, extra }) => {
    let connector: LocalConnector;
    beforeAll(async () => {
      // Local mode builds the ingest Lambda with its factory from the deployed environment contract.
      connector = await startConnector({
        apiPort: 0,
        logLevel: 'silent',
        progress: 'off',
        ...(notificationSources === undefined ? {} : { notificationSources }),
      });
    });
    afterAll(async () => {
      await connector?.stop();
    });

    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${connector.apiUrl}/${path}`, {
        method,
        headers: {
          authorization: `Bearer ${connector.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json().catch(() => undefined)) as unknown };
    };
    /** The status, issue code and diagnostics of an answer: what tells a served path from an unserved one. */
    const answer = async (method: string, path: string) => {
      const { status, body } = await call(method, path);
      const issue = (body as { issue?: { code?: string; diagnostics?: string }[] } | undefined)?.issue?.[0];
      return `${status} ${issue?.code ?? ''} ${issue?.diagnostics ?? ''}`;
    };

    it('derives the served operations by probing the router with every $name in the code, and finds the CapabilityStatement lists exactly them', async () => {
      const candidates = operationNamesInSource();
      expect(candidates).toEqual(
        expect.arrayContaining(['reconcile', 'reset-version', 'trigger-subscription']),
      );
      const served = new Set<string>();
      for (const level of Object.keys(LEVELS) as Level[]) {
        // How the API answers an operation nobody serves at this level (the router's 404 not-supported,
        // or the Subscription route's own answer for an unknown operation).
        const unserved = await Promise.all(
          LEVELS[level]('zz-no-such-operation').map((probe) => answer(probe.method, probe.path)),
        );
        for (const name of candidates) {
          const answers = await Promise.all(
            LEVELS[level](name).map((probe) => answer(probe.method, probe.path)),
          );
          // Served: an answer other than the unserved one, and not a 404 not-supported (a route refusing
          // the type, as $reset-version refuses Subscription); an unknown job or id is a 404 not-found.
          const servedHere = answers.some(
            (seen, index) => seen !== unserved[index] && !seen.startsWith('404 not-supported'),
          );
          if (servedHere) served.add(`${level} ${name}`);
        }
      }

      const metadata = await call('GET', 'metadata');
      expect(metadata.status).toBe(200);
      const rest = (metadata.body as Statement).rest[0];
      const listed = new Set<string>([
        ...(rest?.operation ?? []).map((operation) => `system ${operation.name}`),
        ...(rest?.resource.find((resource) => resource.type === 'Subscription')?.operation ?? []).map(
          (operation) => `Subscription ${operation.name}`,
        ),
        ...(rest?.resource.find((resource) => resource.type === 'Patient')?.operation ?? []).map(
          (operation) => `clinical ${operation.name}`,
        ),
      ]);
      expect([...served].sort()).toEqual([...listed].sort());
      expect([...listed].sort()).toEqual([...ALWAYS_LISTED, ...extra].sort());
      // Every clinical type carries $reset-version, each listed operation says how it is called.
      expect(
        rest?.resource
          .filter((resource) => resource.type !== 'Subscription')
          .every((resource) => resource.operation?.some((operation) => operation.name === 'reset-version')),
      ).toBe(true);
      for (const operation of rest?.operation ?? []) expect(operation.documentation).toMatch(/\[base\]\/\$/);
    }, 60_000);

    it('documents the trigger without parameters, which the API answers with a job', async () => {
      const metadata = await call('GET', 'metadata');
      const trigger = (metadata.body as Statement).rest[0]?.resource
        .find((resource) => resource.type === 'Subscription')
        ?.operation?.find((operation) => operation.name === 'trigger-subscription');
      expect(trigger?.documentation).toContain('Without a body');
      const bodiless = await call(
        'POST',
        `Subscription/${connector.autoSubscriptionId}/$trigger-subscription`,
      );
      expect(bodiless.status).toBe(202);
    });
  },
);
