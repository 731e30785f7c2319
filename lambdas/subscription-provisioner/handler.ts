import { subscriptionProvisionerHandlerFromEnv } from './subscriptionProvisionerHandlerFromEnv.js';

/** The Lambda entry point (CDK Provider framework onEvent); configuration read at module load. */
export const handler = subscriptionProvisionerHandlerFromEnv(process.env);
