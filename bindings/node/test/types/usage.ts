// Compiled with tsc --strict --noEmit by the suite: the declarations must
// describe the package as it is used.
import type { Shared } from 'weir';
import weir, { Limiter, KeyedLimiter, Shedder, Throttle, Picker, RetryBudget, Retry, retry, SingleFlight, Deadline, FleetLimiter, OverloadedError, RetryError } from 'weir';

async function main(): Promise<void> {
  const limiter = new Limiter({ rate: 100, per: 'second', burst: 20 });
  const perHost = new Limiter({ rate: 100, burst: 20, shared: '/dev/shm/usage.limit' });
  const file: string | undefined = perHost.shared;
  void file;
  const d = limiter.tryAcquire();
  const headers: Record<string, string> = { 'X-RateLimit-Remaining': String(d.remaining) };
  if (!d.ok) headers['Retry-After'] = String(Math.ceil(d.msBeforeNext / 1000));
  await limiter.acquire(1, { signal: AbortSignal.timeout(100) });
  const exact: bigint = limiter.tryAcquireAt(weir.nowNs(), 1n).retryAfter;

  const keyed = new KeyedLimiter({ rate: 5, per: 60000, capacity: 1024, seed: process.env.WEIR_SEED ?? 'a secret' });
  keyed.tryAcquire('10.0.0.1');
  const placed: bigint = weir.hashKey('10.0.0.1', new TextEncoder().encode('a secret'));
  void placed;
  const worker: Shared = keyed.share();
  KeyedLimiter.attach(worker);

  const shedder = new Shedder({ cpuSampler: { intervalMs: 500 }, maxQueue: 1000 });
  const body: string = await shedder.run(async () => 'ok').catch((e: unknown) => {
    if (e instanceof OverloadedError) return `retry in ${e.retryAfterMs}`;
    throw e;
  });
  shedder.close();

  const throttle = new Throttle({ k: 2 });
  await throttle.run(async () => 1, { accepted: (e) => (e as { status?: number }).status === 404 });

  const picker = new Picker<string>({ capacity: 16 });
  picker.add('10.0.0.2:80');
  const p = picker.pick();
  if (p) picker.report(p, { success: true, cpu: 300 });
  const host: string = await picker.run(async (node) => node);

  const budget = new RetryBudget({ ratio: 0.1 });
  const n: number = await retry(async ({ attempt }) => attempt, { budget, backoff: { baseMs: 25, jitter: 'full' } });
  await new Retry({ budget }).execute(async () => 1).catch((e: unknown) => (e instanceof RetryError ? e.reason : 'other'));
  const hedger = new weir.Hedger({ ceilingMs: 50, budget });
  const hedgedAnswer: number = await weir.hedged(hedger, async ({ number, signal }) => (signal.aborted ? -1 : number));
  void hedgedAnswer;

  const flights = new SingleFlight({ seed: 'a secret' });
  const user: { id: number } = await flights.do('user:1', async (signal) => (signal.aborted ? { id: 0 } : { id: 1 }));

  const deadline = new Deadline({ timeoutMs: 1000, marginMs: 5 });
  const grpc: string = weir.formatGrpcTimeout(deadline.timeoutMs(weir.nowMs() + 500));
  const fleet = new FleetLimiter({ redisUrl: 'redis://127.0.0.1:6379', key: 'tenant:42', rate: 1000, nodes: 8 });
  const fleetOk: boolean = fleet.tryAcquire().ok;
  const bound: number = fleet.stats().bound;
  fleet.close();
  console.log(fleetOk, bound);
  console.log(headers, exact, body, host, n, user, grpc, weir.parseRetryAfter('5'));
}

void main();

function breakerAndAdaptive(): void {
  const b = new weir.CircuitBreaker({ windowCalls: 10, openMs: 'minute', isFailure: (e) => e instanceof Error });
  b.on('stateChange', (c) => console.log(c.from, c.to, c.cause, c.failures));
  const answer: Promise<number> = b.run(async () => 1);
  const state: 'closed' | 'open' | 'half_open' | 'forced_open' | 'disabled' = b.state;
  const l = new weir.AdaptiveLimiter({ algorithm: 'vegas', maxLimit: 100, timeoutMs: undefined });
  const d = l.tryAcquire();
  if (d.permit) l.release(d.permit, 'dropped');
  const refused: typeof weir.CircuitOpenError = weir.CircuitOpenError;
  void answer;
  void state;
  void refused;
}
void breakerAndAdaptive;
