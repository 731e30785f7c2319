import { describe, expect, it } from 'vitest';
import { createTimeBudget } from '../../../shared/delivery/timeBudget.js';

const options = {
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 10_000,
  settleReserveMs: 3000,
  deferDelaySeconds: 1,
};

describe('Function: createTimeBudget', () => {
  it('starts records while connect + response timeouts + the reserve remain', () => {
    let left = 60_000;
    const budget = createTimeBudget(() => left, options);
    expect(budget.canStart()).toBe(true);
    left = 23_000;
    expect(budget.canStart()).toBe(true);
    left = 22_999;
    expect(budget.canStart()).toBe(false);
  });

  it('caps each request at the time left before the reserve', () => {
    let left = 20_000;
    const budget = createTimeBudget(() => left, options);
    expect(budget.requestTimeoutMs()).toBe(17_000);
    left = 2000;
    expect(budget.requestTimeoutMs()).toBe(1);
  });

  it('asks for at most half of a short invocation, so a function timeout below the request timeouts still delivers', () => {
    let left = 10_000;
    const budget = createTimeBudget(() => left, options);
    expect(budget.canStart()).toBe(true);
    left = 8000;
    expect(budget.canStart()).toBe(true);
    left = 7999;
    expect(budget.canStart()).toBe(false);
  });
});
