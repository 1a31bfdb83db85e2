// Compiled with tsc --strict --noEmit by the suite: the adapters'
// declarations as an app uses them.
import http from 'node:http';
import { Policy } from 'weir';
import { weir as expressWeir } from 'weir/express';
import weirPlugin from 'weir/fastify';
import { weir as koaWeir, type KoaContextLike } from 'weir/koa';

const policy = new Policy({ rules: [{ name: 'api', limit: { rate: 10, per: '1s' } }] });

const middleware = expressWeir({ policy, keyGenerator: (req) => req.headers['x-api-key']?.toString() });
http.createServer((req, res) => middleware(req, res, () => res.end('ok')));

// Fastify's register(plugin, options) calls the plugin so.
weirPlugin({}, { policy, keyGenerator: (request) => request.headers['x-api-key']?.toString() }, () => {});

const koa: (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<unknown> = koaWeir({
  policy: [{ name: 'inline', limit: { rate: 1, per: '1s' } }],
  keyGenerator: (ctx) => ctx.headers['x-api-key']?.toString(),
});
void koa;
