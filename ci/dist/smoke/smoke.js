'use strict';
// The Node smoke program of the release checks: weir as npm installed it. A
// limiter of burst 3 admits exactly 3 and refuses the 4th with a retry
// time; a bad burst is refused naming the field. The ES module entry point
// exports the same classes.
//
//   node smoke.js VERSION ADDON    ADDON: a part of the loaded addon's path
//                                  (weir-linux-x64-gnu, or weir.node when built from source)
const [want, addonFrom] = process.argv.slice(2);
const weir = require('weir');

function check(ok, what) {
  if (!ok) {
    console.error(`node smoke: ${what}`);
    process.exit(1);
  }
}

const version = require('weir/package.json').version;
check(version === want, `installed weir ${version}, want ${want}`);
const addon = Object.keys(require.cache).find((f) => f.endsWith('.node'));
check(addon && addon.includes(addonFrom), `loaded the addon ${addon}, want one from ${addonFrom}`);

const limiter = new weir.Limiter({ rate: 1, per: 'hour', burst: 3 });
const now = weir.nowNs();
for (let i = 1; i <= 3; i++) {
  const d = limiter.tryAcquireAt(now);
  check(d.reason === 'admitted', `request ${i} refused (${d.reason}) within the burst of 3`);
}
const d = limiter.tryAcquireAt(now);
check(d.reason === 'rate_limited' && d.retryAfter > 0n, `request 4: ${d.reason}, retry after ${d.retryAfter} ns`);
try {
  new weir.Limiter({ rate: 1, burst: 0 });
  check(false, 'burst 0 was accepted');
} catch (e) {
  check(/burst/.test(e.message), `burst 0 refused without naming the field: ${e.message}`);
}

import('weir').then((esm) => {
  check(esm.Limiter === weir.Limiter, 'the ES module exports another Limiter than the CommonJS one');
  const path = require('node:path');
  console.log(
    `node ${process.version} (${path.basename(addon)}): weir ${version} admitted 3, refused the 4th (${d.reason}, retry after ${Number(d.retryAfter / 1000000000n)} s)`,
  );
});
