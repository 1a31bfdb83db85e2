import type { Policy, Verdict } from '../../index';

/** A Policy, a policy document (JSON text, a Buffer or an object) or an array of rules. */
export type PolicyLike = Policy | string | Buffer | { rules: unknown[]; [field: string]: unknown } | unknown[];

export interface AdapterOptions<Request> {
  policy: PolicyLike;
  /** The caller key rules with `"key": "caller"` count under; undefined: none. */
  keyGenerator?: (request: Request) => string | undefined | null;
  /** Called with the request and the verdict once a refusal is answered; what it throws becomes a process warning. */
  onRefused?: (request: Request, verdict: Verdict) => unknown;
}
