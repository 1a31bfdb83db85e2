'use strict';
// weir for Koa:
//
//   const { weir } = require('weir/koa');
//   app.use(weir({ policy: Policy.fromFile('policy.json'), keyGenerator: (ctx) => ctx.get('x-api-key') }));
//
// A refused request is answered with the verdict's status, headers and body
// and the downstream middleware never runs. An admitted one goes on with the
// verdict's request headers added and the verdict as `ctx.state.weir`; its
// outcome is reported when the downstream middleware settles (the status
// Koa is about to send, or the error's), or as a reset when the connection
// closes before that.
const { options, refusal, learns, hasAny, notifyRefused } = require('./common');

function weir(opts) {
  const { policy, keyGenerator, onRefused } = options(opts, 'weir/koa');
  return async function weirMiddleware(ctx, next) {
    const verdict = policy.check({
      method: ctx.method,
      path: ctx.url,
      headers: ctx.headers,
      clientAddress: ctx.req.socket.remoteAddress,
      key: keyGenerator ? keyGenerator(ctx) : undefined,
    });
    if (!verdict.admitted) {
      const answer = refusal(verdict);
      ctx.status = answer.status;
      ctx.set(answer.headers);
      ctx.body = answer.body;
      notifyRefused(onRefused, ctx, verdict);
      return;
    }
    ctx.state.weir = verdict;
    if (hasAny(verdict.requestHeaders)) Object.assign(ctx.req.headers, verdict.requestHeaders);
    if (hasAny(verdict.headers)) ctx.set(verdict.headers);
    if (!learns(verdict)) return next();
    let reported = false;
    const report = (status) => {
      if (!reported) {
        reported = true;
        verdict.report({ status });
      }
    };
    const onClose = () => report(null);
    ctx.res.once('close', onClose);
    try {
      await next();
    } catch (e) {
      report(Number.isInteger(e && (e.status || e.statusCode)) ? e.status || e.statusCode : 500);
      throw e;
    } finally {
      ctx.res.removeListener('close', onClose);
    }
    report(ctx.status);
  };
}

module.exports = { weir, default: weir };
