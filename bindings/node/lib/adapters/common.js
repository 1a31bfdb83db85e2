'use strict';
// What the framework adapters share: turning what a user hands them into a
// Policy, and the refusal a verdict answers with. Each adapter stays a
// translation: read the request, ask the policy, write the answer.
const { Policy } = require('../policy');
const { typeError } = require('../errors');

/** A Policy as is; a document (string, Buffer, object); or an array of rules. */
function asPolicy(policy) {
  if (policy instanceof Policy) return policy;
  if (Array.isArray(policy)) return new Policy({ rules: policy });
  if (typeof policy === 'string' || Buffer.isBuffer(policy) || (policy !== null && typeof policy === 'object')) {
    return new Policy(policy);
  }
  throw typeError('policy', 'a Policy, a policy document or an array of rules', policy);
}

function options(opts, adapter) {
  if (opts === null || typeof opts !== 'object') {
    throw typeError(`${adapter} options`, 'an object with a policy', opts);
  }
  const { keyGenerator, onRefused } = opts;
  if (keyGenerator !== undefined && typeof keyGenerator !== 'function') {
    throw typeError('keyGenerator', 'a function returning the caller key', keyGenerator);
  }
  if (onRefused !== undefined && typeof onRefused !== 'function') {
    throw typeError('onRefused', 'a function of (request, verdict)', onRefused);
  }
  return { policy: asPolicy(opts.policy), keyGenerator, onRefused };
}

/** Runs the onRefused hook once a refusal is answered. What it throws (or
 * a promise it returns rejects with) becomes a process warning: the hook
 * never changes the answer or the server. */
function notifyRefused(onRefused, request, verdict) {
  if (onRefused === undefined) return;
  try {
    const result = onRefused(request, verdict);
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      result.then(undefined, (err) => hookFailed(err, verdict));
    }
  } catch (err) {
    hookFailed(err, verdict);
  }
}

function hookFailed(err, verdict) {
  process.emitWarning(`onRefused threw for a refusal by rule ${verdict.rule}: ${err instanceof Error ? err.message : String(err)}`, {
    type: 'WeirOnRefusedError',
    detail: err instanceof Error ? err.stack : undefined,
  });
}

/** The refusal's headers (retry-after, x-ratelimit-*, x-weir-rule), with a
 * content type and length for its text body. */
function refusal(verdict) {
  const body = verdict.body || '';
  const headers = { 'content-type': 'text/plain; charset=utf-8', ...verdict.headers };
  headers['content-length'] = Buffer.byteLength(body);
  return { status: verdict.status, headers, body };
}

/** A verdict with nothing to learn from its outcome: the shared, frozen
 * plain admission. Adapters hook the response only for the others. */
function learns(verdict) {
  return !Object.isFrozen(verdict);
}

function hasAny(object) {
  for (const _ in object) return true;
  return false;
}

module.exports = { asPolicy, options, refusal, learns, hasAny, notifyRefused };
