package weirprom_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	weir "github.com/weir-rs/weir/bindings/go"
	"github.com/weir-rs/weir/bindings/go/weirprom"
)

// filterMetricNames are the Prometheus names wasm-filter/README.md's
// Metrics table defines, for a rule picking among clusters.
func filterMetricNames(t *testing.T, clusters ...string) []string {
	t.Helper()
	readme, err := os.ReadFile("../../../wasm-filter/README.md")
	if err != nil {
		t.Fatal(err)
	}
	table := string(readme)[strings.Index(string(readme), "### Metrics"):]
	row := regexp.MustCompile("(?m)^\\| (limit|shed|throttle|pick|deadline) \\| (.+) \\|$")
	quoted := regexp.MustCompile("`([^`]+)`")
	var names []string
	for _, r := range row.FindAllStringSubmatch(table, -1) {
		for _, q := range quoted.FindAllStringSubmatch(r[2], -1) {
			if q[1] == "picked.<cluster>" {
				for _, c := range clusters {
					names = append(names, "weir_picked_"+c)
				}
			} else {
				names = append(names, "weir_"+q[1])
			}
		}
	}
	sort.Strings(names)
	return names
}

func TestScrapeShowsTheFiltersNames(t *testing.T) {
	document, err := os.ReadFile("../../../examples/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	policy, err := weir.NewPolicy(string(document))
	if err != nil {
		t.Fatal(err)
	}
	defer policy.Close()
	collector := weirprom.NewCollector(policy)
	registry := prometheus.NewRegistry()
	registry.MustRegister(collector)
	for i := 0; i < 3; i++ {
		v := policy.Check(&weir.Request{Method: "GET", Path: "/api/items", ClientAddress: "10.0.0.1"})
		if !v.Admitted {
			t.Fatalf("request %d refused: %+v", i, v)
		}
		v.Report(weir.PolicyOutcome{Status: 200})
	}

	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range families {
		got = append(got, f.GetName())
	}
	sort.Strings(got)
	want := filterMetricNames(t, "service_a", "service_b")
	if len(want) < 17 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("families %v, the filter's %v", got, want)
	}

	server := httptest.NewServer(promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	defer server.Close()
	res, err := http.Get(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	for _, line := range []string{
		"# TYPE weir_admitted untyped",
		`weir_admitted{weir_rule="per_client"} 3`,
		`weir_admitted{weir_rule="service"} 3`,
		`weir_limited{weir_rule="per_client"} 0`,
		`weir_deadline_set{weir_rule="service"} 3`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("the scrape lacks %q:\n%s", line, text)
		}
	}
	picked := regexp.MustCompile(`(?m)^weir_picked_service_[ab]\{weir_rule="service"\} (\d+)$`).FindAllStringSubmatch(text, -1)
	if total := sumOf(picked); total != 3 {
		t.Errorf("picked %d times in the scrape, want 3:\n%s", total, text)
	}
}

func sumOf(matches [][]string) int {
	total := 0
	for _, m := range matches {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	return total
}

func TestScrapeFollowsAReplace(t *testing.T) {
	first := []byte(`{"rules": [{"name": "api", "limit": {"rate": 1, "per": "1h", "burst": 2}}]}`)
	policy, err := weir.NewPolicy(string(first))
	if err != nil {
		t.Fatal(err)
	}
	defer policy.Close()
	collector := weirprom.NewCollector(policy)
	for i := 0; i < 3; i++ {
		policy.Check(&weir.Request{Path: "/"})
	}
	second := []byte(`{"rules": [{"name": "api", "limit": {"rate": 1, "per": "1h", "burst": 2}}, {"name": "up", "throttle": {"k": 2}}]}`)
	if err := policy.Replace(string(second)); err != nil {
		t.Fatal(err)
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collector)
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			values[f.GetName()+"/"+m.GetLabel()[0].GetValue()] = m.GetUntyped().GetValue()
		}
	}
	if values["weir_admitted/api"] != 2 || values["weir_limited/api"] != 1 {
		t.Errorf("the unchanged limit kept its counts: %v", values)
	}
	if v, ok := values["weir_throttle_passed/up"]; !ok || v != 0 {
		t.Errorf("the new rule's counters are exported: %v", values)
	}
}

func TestNames(t *testing.T) {
	for counter, want := range map[string][2]string{
		"weir.per_client.admitted":  {"weir_admitted", "per_client"},
		"weir.v1.api.limited":       {"weir_limited", "v1.api"},
		"weir.svc.picked.service-a": {"weir_picked_service_a", "svc"},
	} {
		if name, rule := weirprom.MetricName(counter); name != want[0] || rule != want[1] {
			t.Errorf("%s: %s %s, want %v", counter, name, rule, want)
		}
	}
}
