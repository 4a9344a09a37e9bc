/** What can go wrong with one call, as seen from the bot. */
export type Fault =
  /** 429 `Too Many Requests: retry after N` with `parameters.retry_after`. */
  | { kind: 'rate-limit'; retryAfter: number }
  /**
   * A 5xx. By default the JSON error body the Bot API itself sends; `html` answers the way
   * the proxy in front of it does when the API is unreachable (grammY then cannot parse
   * the body and reports a network failure rather than an API error).
   */
  | { kind: 'server-error'; status?: 500 | 502 | 503 | 504; html?: boolean }
  /** Waits before handling the call normally (or until the client gives up). */
  | { kind: 'delay'; ms: number }
  /** Reads the request, then destroys the socket without answering. */
  | { kind: 'drop' }
  /**
   * Performs the call (a message is sent), then destroys the socket instead of answering:
   * the answer is lost on its way back, and the client cannot tell whether the call went through.
   */
  | { kind: 'lose-answer' }
  /** Performs the call, then waits before answering (or until the client gives up). */
  | { kind: 'slow-answer'; ms: number };

/** Matches any method. */
export const ANY_METHOD = '*';

interface PlannedFault {
  method: string;
  fault: Fault;
  remaining: number;
}

/** Faults queued per method (case-insensitive, like the API's method names) and count. */
export class FaultPlan {
  private readonly planned: PlannedFault[] = [];

  add(method: string, fault: Fault, times: number): void {
    if (!Number.isInteger(times) || times < 1) throw new Error('times: a positive integer');
    this.planned.push({ method: method.toLowerCase(), fault, remaining: times });
  }

  /** The next fault for this call, used up; the first planned one wins. */
  take(method: string): Fault | undefined {
    const name = method.toLowerCase();
    const next = this.planned.find(
      (entry) => entry.remaining > 0 && (entry.method === ANY_METHOD || entry.method === name),
    );
    if (next === undefined) return undefined;
    next.remaining -= 1;
    if (next.remaining === 0) this.planned.splice(this.planned.indexOf(next), 1);
    return next.fault;
  }

  clear(): void {
    this.planned.length = 0;
  }
}
