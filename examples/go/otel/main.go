// weir's counters through OpenTelemetry: examples/policy.json decides eight
// requests to /api/export from one client (its `export` rule allows 5 a
// minute), and the SDK's collection shows them under the filter's names.
//
//	go run .
//
// An application gives the MeterProvider its exporter (OTLP, Prometheus);
// the manual reader here prints what any exporter would be handed.
// WEIR_POLICY names another policy file.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"sort"

	weir "github.com/weir-rs/weir/bindings/go"
	"github.com/weir-rs/weir/bindings/go/weirotel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// run decides the requests with the policy in document and writes each
// answer, then every collected point, to out.
func run(document []byte, out io.Writer) error {
	policy, err := weir.NewPolicy(string(document))
	if err != nil {
		return err
	}
	defer policy.Close()
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(context.Background())
	if _, err := weirotel.Register(provider.Meter("weir"), policy); err != nil {
		return err
	}
	for range 8 {
		v := policy.Check(&weir.Request{Method: "GET", Path: "/api/export", ClientAddress: "10.0.0.1:5000"})
		fmt.Fprintf(out, "GET /api/export -> %d %s\n", v.Status, v.Reason)
		if v.Admitted {
			v.Report(weir.PolicyOutcome{Status: 200})
		}
	}
	var collected metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &collected); err != nil {
		return err
	}
	var lines []string
	for _, scope := range collected.ScopeMetrics {
		for _, m := range scope.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, p := range sum.DataPoints {
				rule, _ := p.Attributes.Value(weirotel.RuleKey)
				lines = append(lines, fmt.Sprintf("%s{%s=%q} %d", m.Name, weirotel.RuleKey, rule.AsString(), p.Value))
			}
		}
	}
	sort.Strings(lines)
	for _, line := range lines {
		fmt.Fprintln(out, line)
	}
	return nil
}

func main() {
	path := os.Getenv("WEIR_POLICY")
	if path == "" {
		path = "../../policy.json"
	}
	document, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := run(document, os.Stdout); err != nil {
		log.Fatal(err)
	}
}
