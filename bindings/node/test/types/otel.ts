// Compiled with tsc --strict --noEmit by the suite: weir/otel as an app uses
// it (any object with the Meter methods the bridge calls is a meter).
import { Policy } from 'weir';
import { observe, PolicyMetrics, metricName, type MeterLike } from 'weir/otel';

const policy = new Policy({ rules: [{ name: 'api', limit: { rate: 10, per: '1s' } }] });
const meter: MeterLike = {
  createObservableCounter: (name: string) => ({ name }),
  addBatchObservableCallback: () => {},
  removeBatchObservableCallback: () => {},
};
const bridge: PolicyMetrics = observe(policy, meter);
const names: string[] = bridge.refresh();
bridge.close();
const [name, rule]: [string, string] = metricName('weir.api.admitted');
console.log(names, name, rule, new PolicyMetrics(policy, meter).policy === policy);
