'use strict';
// weir for Fastify, a plugin over the hooks onRequest (check) and
// onResponse (report), applied to the whole instance it is registered on:
//
//   fastify.register(require('weir/fastify'), { policy: Policy.fromFile('policy.json'),
//                                               keyGenerator: (request) => request.headers['x-api-key'] });
//
// A refused request is answered with the verdict's status, headers and body
// and never reaches its route. An admitted one goes on with the verdict's
// request headers added and the verdict as `request.weir`; its outcome is
// reported with the status when the response is sent, or as a reset when
// the request is aborted.
const { options, refusal, learns, hasAny, notifyRefused } = require('./common');

const REFUSED = Symbol('weir.refused');

function weirPlugin(fastify, opts, done) {
  const { policy, keyGenerator, onRefused } = options(opts, 'weir/fastify');
  fastify.decorateRequest('weir', null);
  fastify.addHook('onRequest', (request, reply, next) => {
    const verdict = policy.check({
      method: request.method,
      path: request.url,
      headers: request.headers,
      clientAddress: request.raw.socket.remoteAddress,
      key: keyGenerator ? keyGenerator(request) : undefined,
    });
    if (!verdict.admitted) {
      const answer = refusal(verdict);
      request.weir = REFUSED;
      reply.code(answer.status).headers(answer.headers).send(answer.body);
      notifyRefused(onRefused, request, verdict);
      return;
    }
    if (hasAny(verdict.requestHeaders)) Object.assign(request.headers, verdict.requestHeaders);
    if (hasAny(verdict.headers)) reply.headers(verdict.headers);
    request.weir = verdict;
    next();
  });
  fastify.addHook('onResponse', (request, reply, next) => {
    const verdict = request.weir;
    if (verdict && verdict !== REFUSED && learns(verdict)) verdict.report({ status: reply.statusCode });
    next();
  });
  fastify.addHook('onRequestAbort', (request, next) => {
    const verdict = request.weir;
    if (verdict && verdict !== REFUSED && learns(verdict)) verdict.report({ status: null });
    next();
  });
  done();
}

// Registered hooks reach the whole instance, as fastify-plugin would do.
weirPlugin[Symbol.for('skip-override')] = true;
weirPlugin[Symbol.for('fastify.display-name')] = 'weir';
weirPlugin[Symbol.for('plugin-meta')] = { name: 'weir', fastify: '>=4' };

module.exports = weirPlugin;
module.exports.default = weirPlugin;
module.exports.weirPlugin = weirPlugin;
