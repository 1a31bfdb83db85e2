// Package weirprom exports a weir policy's counters to Prometheus through
// client_golang, under the names Envoy's /stats/prometheus gives the
// filter's (with the weir_rule stats tag of examples/envoy/envoy.yaml):
// `weir.<rule>.<outcome>` becomes `weir_<outcome>{weir_rule="<rule>"}`,
// `weir.<rule>.picked.<cluster>` becomes `weir_picked_<cluster>`.
//
//	document, _ := os.ReadFile("policy.json")
//	policy, _ := weir.NewPolicy(string(document))
//	collector, _ := weirprom.NewCollector(policy, document)
//	prometheus.MustRegister(collector)
//
// The counters are read on scrape; nothing is added to a request's path.
// It is a module of its own so that weir's library module requires nothing.
package weirprom

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	weir "github.com/weir-rs/weir/bindings/go"
)

// The filter's stats tag regex, without Envoy's `wasmcustom.` namespace.
var (
	counterName = regexp.MustCompile(`^weir\.(.+?)\.([a-z_]+|picked\..+)$`)
	unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)
)

// MetricName is the Prometheus name and the rule of a policy counter, as
// Envoy exports it.
func MetricName(counter string) (name, rule string) {
	found := counterName.FindStringSubmatch(counter)
	if found == nil {
		return unsafeChars.ReplaceAllString(counter, "_"), ""
	}
	return "weir_" + unsafeChars.ReplaceAllString(found[2], "_"), found[1]
}

// The counters a rule defines for each action it has, as weir-policy
// defines them (the Metrics table of wasm-filter/README.md).
var actionCounters = []struct {
	field    string
	outcomes []string
}{
	{"limit", []string{"admitted", "limited", "shadow_limited", "state_error"}},
	{"shed", []string{"shed_passed", "shed", "shadow_shed"}},
	{"throttle", []string{"throttle_passed", "throttled", "shadow_throttled", "upstream_failures"}},
	{"pick", []string{"pick_none"}},
	{"deadline", []string{"deadline_set", "deadline_exceeded", "shadow_deadline_exceeded"}},
}

type ruleDoc struct {
	Name string                       `json:"name"`
	Pick *struct{ Clusters []string } `json:"pick"`
}

// CounterNames are the counters (`weir.<rule>.<outcome>`) a policy
// document defines, in rule order.
func CounterNames(document []byte) ([]string, error) {
	var doc struct {
		Rules []json.RawMessage `json:"rules"`
	}
	if err := json.Unmarshal(document, &doc); err != nil {
		return nil, fmt.Errorf("weirprom: the policy document is not JSON: %w", err)
	}
	var names []string
	for i, raw := range doc.Rules {
		var fields map[string]json.RawMessage
		var rule ruleDoc
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, fmt.Errorf("weirprom: rule #%d is not an object: %w", i, err)
		}
		if err := json.Unmarshal(raw, &rule); err != nil {
			return nil, fmt.Errorf("weirprom: rule #%d: %w", i, err)
		}
		for _, action := range actionCounters {
			value, ok := fields[action.field]
			if !ok || string(value) == "null" || string(value) == "[]" {
				continue
			}
			for _, outcome := range action.outcomes {
				names = append(names, "weir."+rule.Name+"."+outcome)
			}
			if action.field == "pick" && rule.Pick != nil {
				for _, cluster := range rule.Pick.Clusters {
					names = append(names, "weir."+rule.Name+".picked."+cluster)
				}
			}
		}
	}
	return names, nil
}

type sample struct {
	counter string
	desc    *prometheus.Desc
	rule    string
}

// Collector is a prometheus.Collector over one policy's counters.
type Collector struct {
	policy *weir.Policy
	mu     sync.RWMutex
	series []sample
}

// NewCollector exports the counters of policy, which was built from
// document (Go's Policy reads its counters by name, and the document
// names them).
func NewCollector(policy *weir.Policy, document []byte) (*Collector, error) {
	c := &Collector{policy: policy}
	if err := c.SetDocument(document); err != nil {
		return nil, err
	}
	return c, nil
}

// SetDocument follows a Policy.Replace: the counters of the new document
// are exported from the next scrape.
func (c *Collector) SetDocument(document []byte) error {
	names, err := CounterNames(document)
	if err != nil {
		return err
	}
	descs := map[string]*prometheus.Desc{}
	series := make([]sample, 0, len(names))
	for _, counter := range names {
		name, rule := MetricName(counter)
		desc, ok := descs[name]
		if !ok {
			desc = prometheus.NewDesc(name, "weir policy counter "+name[len("weir_"):]+", per rule", []string{"weir_rule"}, nil)
			descs[name] = desc
		}
		series = append(series, sample{counter: counter, desc: desc, rule: rule})
	}
	c.mu.Lock()
	c.series = series
	c.mu.Unlock()
	return nil
}

// Describe sends nothing: the families follow the policy in place, which
// can be replaced, so the collector is unchecked.
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect reads every counter of the policy.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, s := range c.series {
		// Untyped, as the Python and Node collectors export them.
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.UntypedValue, float64(c.policy.Counter(s.counter)), s.rule)
	}
}
