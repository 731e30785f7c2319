/** Defaults of the Subscription API (kept apart so the environment contract can name them cheaply). */
export const SUBSCRIPTION_DEFAULTS = { maxSubscriptions: 100 } as const;
