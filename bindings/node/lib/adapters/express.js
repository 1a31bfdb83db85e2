'use strict';
// weir for Express (and any connect-style (req, res, next) stack):
//
//   const { weir } = require('weir/express');
//   app.use(weir({ policy: Policy.fromFile('policy.json'), keyGenerator: (req) => req.get('x-api-key') }));
//
// A refused request is answered with the verdict's status, headers and body
// and never reaches the routes. An admitted one goes on with the verdict's
// request headers added and the verdict as `req.weir`; its outcome is
// reported when the response starts (the status, the time since the check),
// or as a reset when the connection closes before that.
const { options, refusal, learns, hasAny, notifyRefused } = require('./common');

function weir(opts) {
  const { policy, keyGenerator, onRefused } = options(opts, 'weir/express');
  return function weirMiddleware(req, res, next) {
    const verdict = policy.check({
      method: req.method,
      path: req.originalUrl || req.url,
      headers: req.headers,
      clientAddress: req.socket.remoteAddress,
      key: keyGenerator ? keyGenerator(req) : undefined,
    });
    if (!verdict.admitted) {
      const answer = refusal(verdict);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      notifyRefused(onRefused, req, verdict);
      return;
    }
    req.weir = verdict;
    if (hasAny(verdict.requestHeaders)) Object.assign(req.headers, verdict.requestHeaders);
    for (const name in verdict.headers) res.setHeader(name, verdict.headers[name]);
    if (learns(verdict)) reportOnStart(res, verdict);
    next();
  };
}

function reportOnStart(res, verdict) {
  let reported = false;
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadAndReport(status, ...rest) {
    if (!reported) {
      reported = true;
      verdict.report({ status });
    }
    return writeHead.call(this, status, ...rest);
  };
  res.once('close', () => {
    if (!reported) {
      reported = true;
      verdict.report({ status: null });
    }
  });
}

module.exports = { weir, default: weir, reportOnStart };
