// Package weirotel exports a weir policy's counters through the
// OpenTelemetry metrics API, under the names and labels the Envoy filter's
// counters have in Prometheus (the weir_rule stats tag of
// examples/envoy/envoy.yaml): `weir.<rule>.<outcome>` is the observable
// counter `weir_<outcome>` with the attribute weir_rule="<rule>", and
// `weir.<rule>.picked.<cluster>` is `weir_picked_<cluster>`.
//
//	policy, _ := weir.LoadPolicy("policy.json")
//	bridge, _ := weirotel.Register(otel.Meter("weir"), policy)
//	defer bridge.Unregister()
//
// The counters are read when the SDK collects; nothing is added to a
// request's path. Only the API is required (go.opentelemetry.io/otel/metric):
// the application brings the SDK and its exporter. It is a module of its
// own so that weir's library module requires nothing.
package weirotel

import (
	"context"
	"fmt"
	"sync"

	weir "github.com/weir-rs/weir/bindings/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RuleKey is the attribute naming a counter's rule, as the filter's stats tag.
const RuleKey = "weir_rule"

// MetricName is the instrument name and the rule of a policy counter, as
// Envoy exports it to Prometheus.
func MetricName(counter string) (name, rule string) { return weir.MetricName(counter) }

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

// Register observes every counter of policy, from the engine's own list.
func Register(meter metric.Meter, policy *weir.Policy) (*Bridge, error) {
	b := &Bridge{meter: meter, policy: policy, instruments: map[string]metric.Int64ObservableCounter{}}
	if err := b.Refresh(); err != nil {
		return nil, err
	}
	return b, nil
}

// Refresh follows a Policy.Replace: instruments for the counters the new
// document adds are created and observed from the next collection. (An
// OpenTelemetry callback can only observe the instruments it was
// registered with, so new names need this call; values of names already
// observed follow the policy without it.)
func (b *Bridge) Refresh() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	counters := b.policy.Counters()
	all := make(map[string]series, len(counters))
	var observed []metric.Observable
	for _, counter := range counters {
		name, rule := weir.MetricName(counter.Name)
		instrument, ok := b.instruments[name]
		if !ok {
			var err error
			instrument, err = b.meter.Int64ObservableCounter(name,
				metric.WithDescription("weir policy counter "+name[len("weir_"):]+", per rule"))
			if err != nil {
				return fmt.Errorf("weirotel: the instrument %s: %w", name, err)
			}
			b.instruments[name] = instrument
		}
		observed = append(observed, instrument)
		all[counter.Name] = series{counter: counter.Name, instrument: instrument, attrs: metric.WithAttributes(attribute.String(RuleKey, rule))}
	}
	registration, err := b.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, counter := range b.policy.Counters() {
			if s, ok := all[counter.Name]; ok {
				o.ObserveInt64(s.instrument, int64(min(counter.Value, 1<<63-1)), s.attrs)
			}
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
