// Compiled with tsc --strict --noEmit by the suite: weir/prometheus as an
// app uses it (any object with prom-client's registerMetric is a registry).
import { Policy } from 'weir';
import { register, metricName, type RegistryLike } from 'weir/prometheus';

const policy = new Policy({ rules: [{ name: 'api', limit: { rate: 10, per: '1s' } }] });
const registry: RegistryLike = { registerMetric: (metric: unknown) => console.log(metric) };
const families: string[] = register(policy, registry);
const [name, rule]: [string, string] = metricName('weir.api.admitted');
console.log(families, name, rule);
