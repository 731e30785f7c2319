import type { WorkMessage, WorkQueue } from './types.js';

/** WorkQueue in memory (tests): messages accumulate in `messages`. */
export class InMemoryWorkQueue implements WorkQueue {
  public readonly messages: WorkMessage[] = [];
  public async send(messages: readonly WorkMessage[]): Promise<void> {
    this.messages.push(...structuredClone(messages as WorkMessage[]));
  }
}
