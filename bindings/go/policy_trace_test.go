package weir

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The recorded trace real Envoy replays too: examples/policy.json on
// requests sent back to back, and the verdicts every runtime must reach.
type policyTrace struct {
	Policy  string `json:"policy"`
	Outcome struct {
		Status int `json:"status"`
	} `json:"outcome"`
	Requests []struct {
		Request struct {
			Method        string            `json:"method"`
			Path          string            `json:"path"`
			Headers       map[string]string `json:"headers"`
			ClientAddress string            `json:"client_address"`
		} `json:"request"`
		Expect struct {
			Status int    `json:"status"`
			Reason string `json:"reason"`
			Rule   string `json:"rule"`
			// A null value: the header must be absent.
			Headers map[string]*string `json:"headers"`
		} `json:"expect"`
	} `json:"requests"`
}

func TestPolicyExampleReachesTheTracesVerdicts(t *testing.T) {
	root := filepath.Join("..", "..")
	raw, err := os.ReadFile(filepath.Join(root, "policy", "tests", "traces", "example-trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	var trace policyTrace
	if err := json.Unmarshal(raw, &trace); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPolicy(filepath.Join(root, filepath.FromSlash(trace.Policy)))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i, step := range trace.Requests {
		r, e := step.Request, step.Expect
		header := http.Header{}
		for k, v := range r.Headers {
			header.Set(k, v)
		}
		v := p.Check(&Request{Method: r.Method, Path: r.Path, Header: header, ClientAddress: r.ClientAddress})
		if problem := traceMismatch(v, e.Status, e.Reason, e.Rule, e.Headers); problem != "" {
			t.Errorf("request %d %s: %s (verdict %+v)", i, r.Path, problem, v)
		}
		if v.Admitted {
			// What the upstream behind Envoy answers, so the learners agree.
			v.Report(PolicyOutcome{Status: trace.Outcome.Status})
		}
	}
}

func traceMismatch(v *Verdict, status int, reason, rule string, headers map[string]*string) string {
	if v.Status != status || v.Admitted != (status == 200) {
		return fmt.Sprintf("status %d (admitted %v), want %d", v.Status, v.Admitted, status)
	}
	if !v.Admitted {
		if v.Reason != reason || v.Rule != rule {
			return fmt.Sprintf("refused %s by %q, want %s by %q", v.Reason, v.Rule, reason, rule)
		}
		if body := fmt.Sprintf("weir: %s by rule %q\n", reason, rule); v.Body != body {
			return fmt.Sprintf("body %q, want %q", v.Body, body)
		}
	}
	for name, want := range headers {
		got := v.Header.Values(name)
		switch {
		case want == nil && len(got) > 0:
			return fmt.Sprintf("header %s %q, want none", name, got)
		case want != nil && (len(got) != 1 || got[0] != *want):
			return fmt.Sprintf("header %s %q, want %q", name, strings.Join(got, ", "), *want)
		}
	}
	return ""
}
