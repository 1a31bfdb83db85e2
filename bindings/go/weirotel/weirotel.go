// Package weirotel exports a weir policy's counters through the
// OpenTelemetry metrics API, under the names and labels the Envoy filter's
// counters have in Prometheus (the weir_rule stats tag of
// examples/envoy/envoy.yaml): `weir.<rule>.<outcome>` is the observable
// counter `weir_<outcome>` with the attribute weir_rule="<rule>", and
// `weir.<rule>.picked.<cluster>` is `weir_picked_<cluster>`.
//
//	document, _ := os.ReadFile("policy.json")
//	policy, _ := weir.NewPolicy(string(document))
//	bridge, _ := weirotel.Register(otel.Meter("weir"), policy, document)
//	defer bridge.Unregister()
//
// The counters are read when the SDK collects; nothing is added to a
// request's path. Only the API is required (go.opentelemetry.io/otel/metric):
// the application brings the SDK and its exporter. It is a module of its
// own so that weir's library module requires nothing.
package weirotel

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"

	weir "github.com/weir-rs/weir/bindings/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RuleKey is the attribute naming a counter's rule, as the filter's stats tag.
const RuleKey = "weir_rule"

// The filter's stats tag regex, without Envoy's `wasmcustom.` namespace.
var (
	counterName = regexp.MustCompile(`^weir\.(.+?)\.([a-z_]+|picked\..+)$`)
	unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)
)

// MetricName is the instrument name and the rule of a policy counter, as
// Envoy exports it to Prometheus.
func MetricName(counter string) (name, rule string) {
	found := counterName.FindStringSubmatch(counter)
	if found == nil {
		return unsafeChars.ReplaceAllString(counter, "_"), ""
	}
	return "weir_" + unsafeChars.ReplaceAllString(found[2], "_"), found[1]
}

// The counters a rule defines for each action it has, in weir-policy's
// order (policy/src/plan.rs; the Metrics table of wasm-filter/README.md).
var actionCounters = []struct {
	field    string
	outcomes []string
}{
	{"limit", []string{"admitted", "limited", "shadow_limited", "state_error"}},
	{"shed", []string{"shed_passed", "shed", "shadow_shed"}},
	{"throttle", []string{"throttle_passed", "throttled", "shadow_throttled", "upstream_failures"}},
	{"pick", []string{"pick_none"}},
	{"breaker", []string{"breaker_passed", "breaker_open", "shadow_breaker_open", "breaker_failures", "breaker_trips", "breaker_no_retry"}},
	{"fallback", []string{"fallback"}},
	{"deadline", []string{"deadline_set", "deadline_exceeded", "shadow_deadline_exceeded"}},
}

type pickDoc struct {
	Clusters []string `json:"clusters"`
	Gutter   *struct {
		Clusters []string `json:"clusters"`
	} `json:"gutter"`
}

// CounterNames are the counters (`weir.<rule>.<outcome>`) a policy
// document defines, in rule order.
func CounterNames(document []byte) ([]string, error) {
	var doc struct {
		Rules []json.RawMessage `json:"rules"`
	}
	if err := json.Unmarshal(document, &doc); err != nil {
		return nil, fmt.Errorf("weirotel: the policy document is not JSON: %w", err)
	}
	var names []string
	for i, raw := range doc.Rules {
		var fields map[string]json.RawMessage
		var rule struct {
			Name string   `json:"name"`
			Pick *pickDoc `json:"pick"`
		}
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, fmt.Errorf("weirotel: rule #%d is not an object: %w", i, err)
		}
		if err := json.Unmarshal(raw, &rule); err != nil {
			return nil, fmt.Errorf("weirotel: rule #%d: %w", i, err)
		}
		counter := func(outcome string) { names = append(names, "weir."+rule.Name+"."+outcome) }
		has := func(field string) bool {
			value, ok := fields[field]
			return ok && string(value) != "null" && string(value) != "[]"
		}
		for _, action := range actionCounters {
			if !has(action.field) {
				continue
			}
			for _, outcome := range action.outcomes {
				counter(outcome)
			}
			if action.field == "pick" && rule.Pick != nil {
				for _, cluster := range rule.Pick.Clusters {
					counter("picked." + cluster)
				}
				if g := rule.Pick.Gutter; g != nil {
					counter("gutter")
					counter("gutter_full")
					for _, cluster := range g.Clusters {
						counter("picked." + cluster)
					}
					// The gutter's limit counts its state errors when the rule has no limit of its own.
					if !has("limit") {
						counter("state_error")
					}
				}
			}
		}
	}
	return names, nil
}

type series struct {
	counter    string
	instrument metric.Int64ObservableCounter
	attrs      metric.ObserveOption
}

// Bridge observes one policy's counters on a meter.
type Bridge struct {
	meter        metric.Meter
	policy       *weir.Policy
	mu           sync.Mutex
	instruments  map[string]metric.Int64ObservableCounter
	registration metric.Registration
}

// Register observes the counters of policy, which was built from document
// (Go's Policy reads its counters by name, and the document names them).
func Register(meter metric.Meter, policy *weir.Policy, document []byte) (*Bridge, error) {
	b := &Bridge{meter: meter, policy: policy, instruments: map[string]metric.Int64ObservableCounter{}}
	if err := b.SetDocument(document); err != nil {
		return nil, err
	}
	return b, nil
}

// SetDocument follows a Policy.Replace: the counters of the new document
// are observed from the next collection.
func (b *Bridge) SetDocument(document []byte) error {
	names, err := CounterNames(document)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	all := make([]series, 0, len(names))
	var observed []metric.Observable
	for _, counter := range names {
		name, rule := MetricName(counter)
		instrument, ok := b.instruments[name]
		if !ok {
			instrument, err = b.meter.Int64ObservableCounter(name,
				metric.WithDescription("weir policy counter "+name[len("weir_"):]+", per rule"))
			if err != nil {
				return fmt.Errorf("weirotel: the instrument %s: %w", name, err)
			}
			b.instruments[name] = instrument
		}
		observed = append(observed, instrument)
		all = append(all, series{counter: counter, instrument: instrument, attrs: metric.WithAttributes(attribute.String(RuleKey, rule))})
	}
	registration, err := b.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, s := range all {
			o.ObserveInt64(s.instrument, int64(min(b.policy.Counter(s.counter), 1<<63-1)), s.attrs)
		}
		return nil
	}, observed...)
	if err != nil {
		return fmt.Errorf("weirotel: registering the callback: %w", err)
	}
	if b.registration != nil {
		_ = b.registration.Unregister()
	}
	b.registration = registration
	return nil
}

// Unregister stops observing the policy.
func (b *Bridge) Unregister() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.registration == nil {
		return nil
	}
	err := b.registration.Unregister()
	b.registration = nil
	return err
}
