'use strict';
// Policy: the Envoy filter's policy document (rules that match, key, limit,
// set deadlines, throttle, shed and pick) run in this process by the same
// engine. `check` decides a request; `report` (or `verdict.report`) tells
// the throttle, shedder and picker how it ended. A verdict never reported
// is taken back by them when it is garbage-collected, as if weir had
// answered it.
const fs = require('node:fs');
const { n, F } = require('./native');
const { CALL, POLICY_CHECK } = require('./layout');
const { typeError } = require('./errors');

class PolicyError extends Error {
  constructor(message, rule, field) {
    super(message);
    this.name = 'PolicyError';
    /** `rule #N "name"`, or '' for a top-level field. */
    this.rule = rule;
    /** The dotted field, e.g. `limit[1].rate`. */
    this.field = field;
  }
}

function native(fn) {
  try {
    return fn();
  } catch (e) {
    const last = n.policyLastError();
    if (last) throw new PolicyError(last[0], last[1], last[2]);
    throw e;
  }
}

function documentOf(json) {
  if (typeof json === 'string') return json;
  if (Buffer.isBuffer(json)) return json.toString('utf8');
  if (json !== null && typeof json === 'object') return JSON.stringify(json);
  throw typeError('json', 'a string, a Buffer or an object', json);
}

function optionalNs(v, field) {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'bigint' && v >= 0n) return v;
  if (Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw typeError(field, 'a non-negative integer of nanoseconds', v);
}

function text(v, field) {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (typeof v === 'number') return String(v);
  throw typeError(field, 'a string', v);
}

/** Headers as name, value, name, value...: an object (Node's
 * `req.headers`), a Map, a fetch `Headers` or pairs. */
function flatHeaders(headers) {
  if (headers === undefined || headers === null) return undefined;
  const out = [];
  const add = (k, v) => {
    if (v === undefined) return;
    out.push(text(k, 'headers'), text(Array.isArray(v) ? v[0] : v, `headers.${k}`));
  };
  if (typeof headers[Symbol.iterator] === 'function' || headers instanceof Map) {
    for (const [k, v] of headers) add(k, v);
  } else if (typeof headers === 'object') {
    for (const k of Object.keys(headers)) add(k, headers[k]);
  } else {
    throw typeError('headers', 'an object, a Map or [name, value] pairs', headers);
  }
  return out;
}

function pairsToObject(flat) {
  const out = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

/** What `check` decided. Admitted: `headers` go on the response,
 * `requestHeaders` on the request sent on. Refused: `status`, `headers`
 * and `body` are the answer to send; `reason` and `rule` say why. */
class Verdict {
  #native;

  constructor(nativeVerdict) {
    this.#native = nativeVerdict;
    const refusal = nativeVerdict ? nativeVerdict.refusal() : null;
    this.admitted = refusal === null;
    this.status = refusal ? Number(refusal[0]) : 200;
    this.reason = refusal ? refusal[1] : 'admitted';
    this.rule = refusal ? refusal[2] : null;
    this.body = refusal ? refusal[3] : null;
    this.headers = nativeVerdict ? pairsToObject(nativeVerdict.headers()) : {};
    this.requestHeaders = nativeVerdict ? pairsToObject(nativeVerdict.requestHeaders()) : {};
    this.upstream = nativeVerdict ? nativeVerdict.upstream() : null;
    const deadline = nativeVerdict ? nativeVerdict.deadlineNs() : null;
    this.deadlineMs = deadline === null ? null : deadline / 1e6;
    const retry = this.headers['retry-after'];
    this.retryAfterMs = refusal && retry !== undefined ? Number(retry) * 1000 : null;
  }

  /** How the request ended: `status` (null or undefined: no answer came,
   * a reset or a timeout), `grpcStatus`, `latencyMs` (default: the time
   * since the check), `cpu` (the upstream's CPU header, permille),
   * `noRetry` (the answer carried `x-weir-no-retry: 1`: an overload decided
   * further down, which a breaker does not count). Once. */
  report(outcome = {}) {
    if (!this.#native) return;
    const o = outcome === null || typeof outcome !== 'object' ? { status: outcome } : outcome;
    const status = o.status === undefined || o.status === null ? undefined : o.status;
    const latencyNs = o.latencyMs === undefined || o.latencyMs === null ? undefined : o.latencyMs * 1e6;
    const noRetry = o.noRetry === true;
    this.#native.report(status, o.grpcStatus ?? undefined, latencyNs, o.cpu ?? undefined, optionalNs(o.now, 'now'), noRetry);
  }
}

const ADMITTED = Object.freeze(new Verdict(null));

class Policy {
  #p;
  #index;
  /** Whether the last check found the policy reading nothing of a request. */
  #bare = true;

  /** @param json the document: a string, a Buffer or an object.
   * @param options `now` and `seed` (nanoseconds, bigint) fix the clock
   * origin and the random draws, for replaying a recorded trace. */
  constructor(json, options = {}) {
    const doc = documentOf(json);
    const now = optionalNs(options.now, 'now');
    const seed = optionalNs(options.seed, 'seed');
    this.#p = native(() => n.policyNew(doc, now, seed));
    this.#index = this.#p.index();
  }

  /** Loads the policy file at `path`. */
  static fromFile(path, options = {}) {
    return new Policy(fs.readFileSync(path, 'utf8'), options);
  }

  /** Decides one request: `{method, path, headers, clientAddress, key, now}`. */
  check(request = {}) {
    const r = request;
    if (r.key !== undefined && r.key !== null && typeof r.key !== 'string') text(r.key, 'key');
    if (this.#bare && r.now === undefined) {
      // A policy that reads nothing of the request decides without it.
      F[CALL.HANDLE] = this.#index;
      n.policyCheckBare();
      const code = F[POLICY_CHECK.CODE];
      if (code === 0) return ADMITTED;
      if (code === 1) return new Verdict(n.policyTakeVerdict());
      this.#bare = false;
    }
    const v = n.policyCheck(
      this.#index,
      r.method === undefined ? 'GET' : text(r.method, 'method'),
      r.path === undefined ? '/' : text(r.path, 'path'),
      flatHeaders(r.headers),
      r.clientAddress === undefined || r.clientAddress === null ? undefined : text(r.clientAddress, 'clientAddress'),
      r.key === undefined || r.key === null ? undefined : text(r.key, 'key'),
      r.now === undefined ? undefined : optionalNs(r.now, 'now'),
    );
    return v === null ? ADMITTED : new Verdict(v);
  }

  /** Same as `verdict.report(outcome)`. */
  report(verdict, outcome = {}) {
    if (!(verdict instanceof Verdict)) throw typeError('verdict', 'a Verdict from check()', verdict);
    verdict.report(outcome);
  }

  /** Swaps in a new document atomically. Limits whose rule, rate, burst
   * and table size are unchanged keep their state; a document that fails
   * validation throws PolicyError and the old one keeps serving. */
  replace(json, options = {}) {
    const doc = documentOf(json);
    native(() => this.#p.replace(doc, optionalNs(options.now, 'now')));
    this.#bare = true;
  }

  /** Every counter (`weir.<rule>.<outcome>`, the Envoy filter's names) and its total. */
  counters() {
    const flat = this.#p.counters();
    const out = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = Number(flat[i + 1]);
    return out;
  }

  /** The rule names, in order. */
  get rules() {
    return this.#p.rules();
  }
}

module.exports = { Policy, Verdict, PolicyError };
