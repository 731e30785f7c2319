import type { HealthLakeApi, HealthLakeResponse } from '../../shared/healthlake/types.js';

export interface FakeCall {
  /** `POST` is a transaction Bundle to the base (resourceType `Bundle`, id empty). */
  method: 'PUT' | 'DELETE' | 'POST';
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
  public responder: Responder = (call) => ({ status: call.method === 'DELETE' ? 204 : 200, latencyMs: 3 });

  public async put(resourceType: string, id: string, body: string): Promise<HealthLakeResponse> {
    return this.answer({ method: 'PUT', resourceType, id, body: JSON.parse(body) });
  }

  public async delete(resourceType: string, id: string): Promise<HealthLakeResponse> {
    return this.answer({ method: 'DELETE', resourceType, id });
  }

  public async transaction(body: string): Promise<HealthLakeResponse> {
    return this.answer({ method: 'POST', resourceType: 'Bundle', id: '', body: JSON.parse(body) });
  }

  private answer(call: FakeCall): HealthLakeResponse {
    this.calls.push(call);
    const result = this.responder(call);
    if (result instanceof Error) throw result;
    return result;
  }
}
