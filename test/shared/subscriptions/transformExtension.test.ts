import { describe, expect, it } from 'vitest';
import { CONNECTOR_EXTENSIONS, SUBSCRIPTION_EXTENSIONS } from '../../../shared/config/constants.js';
import { mergeTargets } from '../../../shared/subscriptions/mergeTargets.js';
import { parseSubscription } from '../../../shared/subscriptions/parseSubscription.js';
import { parseTransforms } from '../../../shared/subscriptions/transforms.js';
import { toActiveSubscription } from '../../../shared/subscriptions/toActiveSubscription.js';
import { CREATE_CONTEXT, DATASTORE_A, makeSubscription, rejectionOf } from '../../helpers/subscriptions.js';

const ARN = 'arn:aws:lambda:us-east-1:111111111111:function:mask-phone';
const withTransform = (name: string, extra: { url: string; valueString: string }[] = []) =>
  makeSubscription({
    criteria: 'Patient?active=true',
    extension: [{ url: CONNECTOR_EXTENSIONS.transform, valueString: name }, ...extra],
  });
const allowed = { ...CREATE_CONTEXT, transforms: new Set(['mask']) };

describe('Subscription extension: subscription-transform', () => {
  it('names an allow-listed transform, carried to the ingest view', () => {
    const parsed = parseSubscription(withTransform('mask'), allowed);
    expect(parsed.settings.transform).toBe('mask');
    expect(toActiveSubscription(parsed.resource).transform).toBe('mask');
  });

  it('refuses a transform the configuration does not list, saying which it does', () => {
    expect(rejectionOf(withTransform('exfiltrate'), allowed).issue).toContainEqual(
      expect.objectContaining({
        code: 'business-rule',
        diagnostics: expect.stringContaining('does not allow (delivery.transforms lists mask)'),
      }),
    );
    expect(rejectionOf(withTransform('mask'), CREATE_CONTEXT).issue?.[0]?.diagnostics).toContain(
      'allows none',
    );
  });

  it('refuses a malformed name and a transform with payload search', () => {
    expect(rejectionOf(withTransform('../mask'), allowed).issue?.[0]?.diagnostics).toContain(
      'must name a transform',
    );
    const both = withTransform('mask', [
      {
        url: SUBSCRIPTION_EXTENSIONS.payloadSearchCriteria,
        valueString: 'Patient?_id=${matched_resource_id}',
      },
    ]);
    expect(rejectionOf(both, allowed).issue).toContainEqual(
      expect.objectContaining({
        code: 'not-supported',
        diagnostics: expect.stringContaining('cannot be combined'),
      }),
    );
  });

  it('makes a target of its own: a transformed copy never merges with another Subscription on the data store', () => {
    const base = {
      criteria: '[Patient]',
      endpoint: DATASTORE_A,
      sendDeleteMessages: true,
      deliverLatestVersion: true,
      stripVersionIds: false,
    };
    const targets = mergeTargets([
      { ...base, id: 'a' },
      { ...base, id: 'b', transform: 'mask' },
    ]);
    expect(targets.map((target) => [target.subscriptionIds, target.transform])).toEqual([
      [['a'], undefined],
      [['b'], 'mask'],
    ]);
  });
});

describe('Function: parseTransforms', () => {
  it('reads name=functionArn entries', () => {
    expect(parseTransforms(`mask=${ARN}, drop=${ARN}:live`)).toEqual(
      new Map([
        ['mask', ARN],
        ['drop', `${ARN}:live`],
      ]),
    );
  });

  it('names the position of a bad entry, never its value', () => {
    expect(() => parseTransforms(`mask=${ARN},x=https://evil.example/SECRET`)).toThrow(
      /^Transform #2 must be/,
    );
    expect(() => parseTransforms(`mask=${ARN},mask=${ARN}`)).toThrow(/#2 repeats a name/);
  });
});
