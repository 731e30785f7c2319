import type { HealthLakeApi, HealthLakeResponse } from '../../shared/healthlake/types.js';

export interface FakeCall {
  method: 'PUT' | 'DELETE';
  resourceType: string;
  id: string;
  body?: unknown;
}

type Responder = (call: FakeCall) => HealthLakeResponse | Error;

/**
 * An in-process HealthLakeApi: records calls, answers 200/204 unless a responder says otherwise.
 */
export class FakeHealthLake implements HealthLakeApi {
  public readonly calls: FakeCall[] = [];
  public responder: Responder = (call) => ({ status: call.method === 'PUT' ? 200 : 204, latencyMs: 3 });

  public async put(resourceType: string, id: string, body: string): Promise<HealthLakeResponse> {
    return this.answer({ method: 'PUT', resourceType, id, body: JSON.parse(body) });
  }

  public async delete(resourceType: string, id: string): Promise<HealthLakeResponse> {
    return this.answer({ method: 'DELETE', resourceType, id });
  }

  private answer(call: FakeCall): HealthLakeResponse {
    this.calls.push(call);
    const result = this.responder(call);
    if (result instanceof Error) throw result;
    return result;
  }
}
