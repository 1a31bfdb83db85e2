package main

import (
	"os"
	"strings"
	"testing"
)

// The example as it runs: the export rule's counts after eight requests,
// under the filter's metric names.
func TestTheExportRuleCountsFiveAdmittedAndThreeLimited(t *testing.T) {
	document, err := os.ReadFile("../../policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := run(document, &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Count(text, "-> 200 admitted") != 5 || strings.Count(text, "-> 429 rate_limited") != 3 {
		t.Fatalf("want 5 admitted and 3 limited:\n%s", text)
	}
	for _, line := range []string{`weir_admitted{weir_rule="export"} 5`, `weir_limited{weir_rule="export"} 3`, `weir_admitted{weir_rule="per_client"} 8`} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("no %s in\n%s", line, text)
		}
	}
}
