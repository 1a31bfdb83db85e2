package weirotel

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	weir "github.com/weir-rs/weir/bindings/go"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

const document = `{"rules": [
	{"name": "per_client", "limit": {"rate": 3, "per": "1h", "key": "client_address"}},
	{"name": "service", "deadline": {"timeout": "1s"},
	 "pick": {"clusters": ["service_a", "service_b"]}}
]}`

// collect is every point of a collection: name -> rule -> value.
func collect(t *testing.T, reader *sdkmetric.ManualReader) map[string]map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int64{}
	for _, scope := range rm.ScopeMetrics {
		for _, m := range scope.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || !sum.IsMonotonic || sum.Temporality != metricdata.CumulativeTemporality {
				t.Fatalf("%s is %T, want a cumulative monotonic int64 sum", m.Name, m.Data)
			}
			out[m.Name] = map[string]int64{}
			for _, p := range sum.DataPoints {
				rule, _ := p.Attributes.Value(attribute.Key(RuleKey))
				out[m.Name][rule.AsString()] = p.Value
			}
		}
	}
	return out
}

func TestTheCountersOfKnownDecisions(t *testing.T) {
	policy, err := weir.NewPolicy(document)
	if err != nil {
		t.Fatal(err)
	}
	defer policy.Close()
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	bridge, err := Register(provider.Meter("weir"), policy)
	if err != nil {
		t.Fatal(err)
	}
	// 5 requests from one client against 3 an hour: 3 admitted, 2 limited;
	// the admitted ones get a deadline and a cluster.
	for range 5 {
		v := policy.Check(&weir.Request{Method: "GET", Path: "/", ClientAddress: "10.0.0.1:4000"})
		v.Report(weir.PolicyOutcome{Status: 200})
	}
	got := collect(t, reader)
	want := map[string]map[string]int64{
		"weir_admitted":          {"per_client": 3},
		"weir_limited":           {"per_client": 2},
		"weir_shadow_limited":    {"per_client": 0},
		"weir_state_error":       {"per_client": 0},
		"weir_deadline_set":      {"service": 3},
		"weir_deadline_exceeded": {"service": 0},
		"weir_pick_none":         {"service": 0},
	}
	for name, rules := range want {
		for rule, value := range rules {
			if got[name][rule] != value {
				t.Errorf("%s{weir_rule=%q} = %d, want %d (all: %v)", name, rule, got[name][rule], value, got)
			}
		}
	}
	if picked := got["weir_picked_service_a"]["service"] + got["weir_picked_service_b"]["service"]; picked != 3 {
		t.Errorf("weir_picked_service_{a,b} add up to %d, want 3", picked)
	}

	// A replaced document: its counters from the next collection on.
	next := `{"rules": [{"name": "per_client", "limit": {"rate": 3, "per": "1h", "key": "client_address"}},
		{"name": "guard", "shed": {"max_in_flight": 100}}]}`
	if err := policy.Replace(next); err != nil {
		t.Fatal(err)
	}
	if err := bridge.Refresh(); err != nil {
		t.Fatal(err)
	}
	policy.Check(&weir.Request{Method: "GET", Path: "/", ClientAddress: "10.0.0.1:4000"})
	got = collect(t, reader)
	if got["weir_limited"]["per_client"] != 3 || got["weir_shed_passed"]["guard"] != 0 {
		t.Errorf("after the replace: limited %d (want 3, the limit kept), shed_passed %v", got["weir_limited"]["per_client"], got["weir_shed_passed"])
	}
	if err := bridge.Unregister(); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, reader); got["weir_limited"] != nil && len(got["weir_limited"]) != 0 {
		t.Errorf("unregistered, yet observed: %v", got)
	}
}

func TestMetricNamesAreTheFiltersPrometheusNames(t *testing.T) {
	for counter, want := range map[string][2]string{
		"weir.api.limited":          {"weir_limited", "api"},
		"weir.api.picked.service-a": {"weir_picked_service_a", "api"},
		"weir.a.b.shadow_throttled": {"weir_shadow_throttled", "a.b"},
		"not.a-weir-counter":        {"not_a_weir_counter", ""},
	} {
		if name, rule := MetricName(counter); name != want[0] || rule != want[1] {
			t.Errorf("MetricName(%q) = %q, %q; want %q, %q", counter, name, rule, want[0], want[1])
		}
	}
}

// Every counter the Metrics table of wasm-filter/README.md lists for an
// action is one the engine counts for a rule with that action.
func TestCountersCoverTheFiltersMetricsTable(t *testing.T) {
	readme, err := os.ReadFile("../../../wasm-filter/README.md")
	if err != nil {
		t.Fatal(err)
	}
	table := string(readme[strings.Index(string(readme), "### Metrics"):])
	if end := strings.Index(table[1:], "\n#"); end > 0 {
		table = table[:end+1]
	}
	rows := regexp.MustCompile("(?m)^\\| ([a-z]+) \\| (.+) \\|$").FindAllStringSubmatch(table, -1)
	policy, err := weir.NewPolicy(`{"rules": [{"name": "all", "limit": {"rate": 1}, "shed": {}, "throttle": {},
		"pick": {"clusters": ["a"], "gutter": {"clusters": ["g"], "limit": {"rate": 50}}}, "breaker": {}, "fallback": {"status": 503},
		"deadline": {"timeout": "1s"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	defer policy.Close()
	have := map[string]bool{}
	for _, counter := range policy.Counters() {
		have[counter.Name] = true
	}
	listed := 0
	for _, row := range rows {
		for _, counter := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(row[2], -1) {
			name := "weir.all." + strings.ReplaceAll(counter[1], "<cluster>", "a")
			listed++
			if !have[name] {
				t.Errorf("the %s row lists %s, which the engine does not count", row[1], counter[1])
			}
		}
	}
	if listed < 20 {
		t.Fatalf("read %d counters from the Metrics table; is it still there?", listed)
	}
}
