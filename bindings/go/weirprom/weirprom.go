// Package weirprom exports a weir policy's counters to Prometheus through
// client_golang, under the names Envoy's /stats/prometheus gives the
// filter's (with the weir_rule stats tag of examples/envoy/envoy.yaml):
// `weir.<rule>.<outcome>` becomes `weir_<outcome>{weir_rule="<rule>"}`,
// `weir.<rule>.picked.<cluster>` becomes `weir_picked_<cluster>`.
//
//	policy, _ := weir.LoadPolicy("policy.json")
//	prometheus.MustRegister(weirprom.NewCollector(policy))
//
// The counters are read on scrape, from the engine's own list, so a
// Policy.Replace shows from the next scrape; nothing is added to a
// request's path. It is a module of its own so that weir's library module
// requires nothing.
package weirprom

import (
	"github.com/prometheus/client_golang/prometheus"
	weir "github.com/weir-rs/weir/bindings/go"
)

// MetricName is the Prometheus name and the rule of a policy counter, as
// Envoy exports it.
func MetricName(counter string) (name, rule string) { return weir.MetricName(counter) }

// Collector is a prometheus.Collector over one policy's counters.
type Collector struct {
	policy *weir.Policy
}

// NewCollector exports every counter of policy.
func NewCollector(policy *weir.Policy) *Collector { return &Collector{policy: policy} }

// Describe sends nothing: the families follow the policy in place, which
// can be replaced, so the collector is unchecked.
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect reads every counter of the policy.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	descs := map[string]*prometheus.Desc{}
	for _, counter := range c.policy.Counters() {
		name, rule := weir.MetricName(counter.Name)
		desc, ok := descs[name]
		if !ok {
			desc = prometheus.NewDesc(name, "weir policy counter "+name[len("weir_"):]+", per rule", []string{"weir_rule"}, nil)
			descs[name] = desc
		}
		// Untyped, as the Python and Node collectors export them.
		ch <- prometheus.MustNewConstMetric(desc, prometheus.UntypedValue, float64(counter.Value), rule)
	}
}
