import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SMILE_EXTENSIONS } from '../../../shared/config/constants.js';
import { parseModuleEndpoints } from '../../../shared/subscriptions/moduleEndpoints.js';
import { parseSubscription } from '../../../shared/subscriptions/parseSubscription.js';
import {
  ALLOWED_ENDPOINTS,
  CREATE_CONTEXT,
  DATASTORE_A,
  DATASTORE_B,
  makeSubscription,
  rejectionOf,
} from '../../helpers/subscriptions.js';

/** Seed 003's manual Subscription: no channel.endpoint, module id endpoint_awshealthlake_out_connector. */
const SEED_003 = JSON.parse(
  readFileSync(new URL('../../fixtures/smile/seed003-manual-subscription.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const MODULE = 'endpoint_awshealthlake_out_connector';

const routed = (moduleEndpoints: ReadonlyMap<string, string>, allowedEndpoints = ALLOWED_ENDPOINTS) => ({
  ...CREATE_CONTEXT,
  allowedEndpoints,
  primaryEndpoint: DATASTORE_A,
  moduleEndpoints,
});

const withModule = (moduleId: unknown, endpoint?: string) =>
  makeSubscription(
    {},
    {
      endpoint: endpoint as string,
      extension: [{ url: SMILE_EXTENSIONS.healthLakeSenderModuleId, valueString: moduleId as string }],
    },
  );

describe('Routing by Smile awshealthlake-sender-module-id (healthLake.moduleEndpoints)', () => {
  it("sends seed 003's endpoint-less Subscription to its module's data store, not the primary one", () => {
    const parsed = parseSubscription(SEED_003, routed(new Map([[MODULE, DATASTORE_B]])));
    expect(parsed.endpoint).toBe(DATASTORE_B);
    expect(parsed.resource.channel.endpoint).toBe(DATASTORE_B);
    expect(parsed.warnings).toContainEqual(
      expect.objectContaining({
        severity: 'information',
        diagnostics: expect.stringContaining('healthLake.moduleEndpoints names for this Smile module'),
      }),
    );
    // Not reported as the primary data store's default.
    expect(JSON.stringify(parsed.warnings)).not.toContain('primary data store is used');
  });

  it('refuses a module the map does not list, naming the ones it does, never defaulting', () => {
    const outcome = rejectionOf(SEED_003, routed(new Map([['other_module', DATASTORE_B]])));
    expect(outcome.issue).toContainEqual(
      expect.objectContaining({
        code: 'business-rule',
        expression: ['Subscription.channel.extension[1]'],
        diagnostics: expect.stringContaining('does not list (it lists other_module)'),
      }),
    );
  });

  it('refuses an endpoint that contradicts the module, and accepts one that agrees', () => {
    const map = new Map([[MODULE, DATASTORE_B]]);
    expect(rejectionOf(withModule(MODULE, DATASTORE_A), routed(map)).issue).toContainEqual(
      expect.objectContaining({ expression: ['Subscription.channel.endpoint'], code: 'business-rule' }),
    );
    expect(parseSubscription(withModule(MODULE, DATASTORE_B), routed(map)).endpoint).toBe(DATASTORE_B);
  });

  it('without a map, keeps the one data store of a single-store deployment and refuses to guess among several', () => {
    expect(parseSubscription(SEED_003, routed(new Map(), [DATASTORE_A])).endpoint).toBe(DATASTORE_A);
    const outcome = rejectionOf(SEED_003, routed(new Map(), ALLOWED_ENDPOINTS));
    expect(outcome.issue).toContainEqual(
      expect.objectContaining({
        diagnostics: expect.stringContaining('several data stores and no healthLake.moduleEndpoints'),
      }),
    );
    // With channel.endpoint given there is nothing to guess.
    expect(parseSubscription(withModule(MODULE, DATASTORE_B), routed(new Map())).endpoint).toBe(DATASTORE_B);
  });

  it('refuses a module id that is not a valueString id', () => {
    const outcome = rejectionOf(withModule('not a module/id'), routed(new Map([[MODULE, DATASTORE_B]])));
    expect(outcome.issue?.[0]).toMatchObject({
      code: 'invalid',
      expression: ['Subscription.channel.extension[0]'],
    });
    expect(JSON.stringify(outcome)).not.toContain('not a module/id');
  });
});

describe('Function: parseModuleEndpoints', () => {
  it('reads moduleId=endpoint entries, normalising the endpoints', () => {
    expect(parseModuleEndpoints(`a=${DATASTORE_A.slice(0, -1)}, b_2=${DATASTORE_B}`)).toEqual(
      new Map([
        ['a', DATASTORE_A],
        ['b_2', DATASTORE_B],
      ]),
    );
  });

  it('names the position of a bad entry, never its value', () => {
    expect(() => parseModuleEndpoints(`a=${DATASTORE_A},SECRET`)).toThrow(/^Module endpoint #2 must be/);
    expect(() => parseModuleEndpoints(`a=${DATASTORE_A},a=${DATASTORE_B}`)).toThrow(/#2 repeats a module id/);
  });
});
