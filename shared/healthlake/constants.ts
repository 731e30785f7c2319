/** Role chaining (a Lambda assuming a role) caps sessions at one hour; STS's minimum is 15 minutes. */
export const SESSION_DURATION_LIMITS = { min: 900, max: 3600 } as const;
