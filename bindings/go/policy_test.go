package weir

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type policyVector struct {
	file     string
	Kind     string          `json:"kind"`
	Policy   json.RawMessage `json:"policy"`
	Steps    []policyStep    `json:"steps"`
	Counters map[string]uint64
}

type policyStep struct {
	Op      string `json:"op"`
	At      uint64 `json:"at"`
	ID      string `json:"id"`
	Request struct {
		Method        string            `json:"method"`
		Path          string            `json:"path"`
		Headers       map[string]string `json:"headers"`
		ClientAddress string            `json:"client_address"`
		Key           string            `json:"key"`
	} `json:"request"`
	Expect struct {
		Status         int               `json:"status"`
		Reason         string            `json:"reason"`
		Rule           string            `json:"rule"`
		Headers        map[string]string `json:"headers"`
		RequestHeaders map[string]string `json:"request_headers"`
		Upstream       *string           `json:"upstream"`
		Body           *string           `json:"body"`
	} `json:"expect"`
	Respond *policyResponse `json:"respond"`
	policyResponse
}

type policyResponse struct {
	Status     int    `json:"status"`
	GRPCStatus int    `json:"grpc_status"`
	Latency    uint64 `json:"latency"`
	CPU        int    `json:"cpu"`
}

func (r policyResponse) outcome() PolicyOutcome {
	return PolicyOutcome{Status: r.Status, GRPCStatus: r.GRPCStatus, Latency: time.Duration(r.Latency), CPU: r.CPU}
}

func policyVectors(t *testing.T) []policyVector {
	dir := filepath.Join("..", "..", "policy", "tests", "vectors")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < 6 {
		t.Fatalf("policy vectors in %s: %v %v", dir, files, err)
	}
	sort.Strings(files)
	var out []policyVector
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v policyVector
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		v.file = filepath.Base(f)
		out = append(out, v)
	}
	return out
}

func TestPolicyVectorsReplay(t *testing.T) {
	for _, v := range policyVectors(t) {
		t.Run(v.file, func(t *testing.T) {
			if v.Kind != "policy" {
				t.Fatalf("kind %q", v.Kind)
			}
			p, err := NewPolicyAt(string(v.Policy), 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			held := map[string]*Verdict{}
			for i, s := range v.Steps {
				switch s.Op {
				case "check":
					h := http.Header{}
					for k, val := range s.Request.Headers {
						h.Set(k, val)
					}
					r := Request{Method: s.Request.Method, Path: s.Request.Path, Header: h, ClientAddress: s.Request.ClientAddress, Key: s.Request.Key}
					got := p.CheckAt(&r, s.At)
					e := s.Expect
					if got.Status != e.Status || got.Admitted != (e.Status == 200) {
						t.Fatalf("step %d: %+v, want status %d", i, got, e.Status)
					}
					if (e.Reason != "" && got.Reason != e.Reason) || (e.Rule != "" && got.Rule != e.Rule) {
						t.Errorf("step %d: %s by %q, want %s by %q", i, got.Reason, got.Rule, e.Reason, e.Rule)
					}
					body := "weir: " + got.Reason + " by rule \"" + got.Rule + "\"\n"
					if e.Body != nil {
						body = *e.Body
					}
					if !got.Admitted && got.Body != body {
						t.Errorf("step %d: body %q", i, got.Body)
					}
					for k, want := range e.Headers {
						if got.Header.Get(k) != want {
							t.Errorf("step %d: header %s = %q, want %q", i, k, got.Header.Get(k), want)
						}
					}
					for k, want := range e.RequestHeaders {
						if got.RequestHeader.Get(k) != want {
							t.Errorf("step %d: request header %s = %q, want %q", i, k, got.RequestHeader.Get(k), want)
						}
					}
					if e.Upstream != nil && got.Upstream != *e.Upstream {
						t.Errorf("step %d: upstream %q, want %q", i, got.Upstream, *e.Upstream)
					}
					if s.Respond != nil {
						got.ReportAt(s.Respond.outcome(), s.At)
					} else if s.ID != "" {
						held[s.ID] = got
					}
				case "respond":
					held[s.ID].ReportAt(s.outcome(), s.At)
				case "reset":
					held[s.ID].ReportAt(PolicyOutcome{}, s.At)
				default:
					t.Fatalf("step %d: unknown op %q", i, s.Op)
				}
			}
			for name, want := range v.Counters {
				if got := p.Counter(name); got != want {
					t.Errorf("counter %s = %d, want %d", name, got, want)
				}
			}
		})
	}
}

func TestPolicyExampleLoadsUnchanged(t *testing.T) {
	p, err := LoadPolicy(filepath.Join("..", "..", "examples", "policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	req, _ := http.NewRequest("GET", "http://svc/api/items?page=2", nil)
	req.Header.Set("X-Tenant", "acme")
	req.RemoteAddr = "10.0.0.1:5000"
	r := RequestOf(req, "alice")
	var last *Verdict
	admitted := 0
	for i := 0; i < 11; i++ {
		last = p.CheckAt(&r, 0)
		if last.Admitted {
			admitted++
			last.Report(PolicyOutcome{Status: 200})
		}
	}
	if admitted != 10 || last.Status != 429 || last.Rule != "per_user" || last.Header.Get("Retry-After") != "1" {
		t.Fatalf("admitted %d, last %+v", admitted, last)
	}
}

func TestPolicyErrorsNameTheRuleAndField(t *testing.T) {
	_, err := NewPolicy(`{"rules": [{"name": "api", "limit": [{"rate": 5}, {"rate": 5, "key": "tenant"}]}]}`)
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Rule != `rule #1 "api"` || pe.Field != "limit[1].key" || !strings.Contains(pe.Message, `"tenant"`) {
		t.Fatalf("%#v", err)
	}
	if _, err := LoadPolicy("/nowhere/policy.json"); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Fatalf("%v", err)
	}
	p, err := NewPolicyAt(`{"rules": [{"name": "a", "limit": {"rate": 1, "per": "1h"}}]}`, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.CheckAt(&Request{}, 0).Admitted {
		t.Fatal("first request refused")
	}
	if err := p.ReplaceAt(`{"rules": [{"name": "a", "limit": {"rate": 1, "per": "1h"}}]}`, 1); err != nil {
		t.Fatal(err)
	}
	if p.CheckAt(&Request{}, 1).Admitted {
		t.Fatal("a reload granted a burst")
	}
	if err := p.ReplaceAt(`{"rules": []}`, 2); !errors.As(err, &pe) || pe.Field != "rules" {
		t.Fatalf("%v", err)
	}
}

func TestPolicyGoroutinesShareOneLimitExactly(t *testing.T) {
	p, err := NewPolicy(`{"rules": [{"name": "r", "limit": {"rate": 400, "per": "1h"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := Request{Method: "GET", Path: "/", Header: http.Header{"X-A": {"b"}}}
			for i := 0; i < 100; i++ {
				if p.Check(&r).Admitted {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != 400 {
		t.Fatalf("admitted %d of a limit of 400", admitted.Load())
	}
}

// B answered 503 because C, behind it, failed and B's weir refused: the
// marker keeps A's breaker on B closed; the same 503 unmarked opens it.
func TestPolicyAnswerMarkedNoRetryIsNotTheUpstreamsFailure(t *testing.T) {
	p, err := NewPolicyAt(`{"rules": [{"name": "b", "breaker": {"consecutive_failures": 1}}]}`, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := Request{Method: "GET", Path: "/"}
	for at := uint64(0); at < 3; at++ {
		v := p.CheckAt(&r, at)
		if !v.Admitted {
			t.Fatalf("request %d refused: %+v", at, v)
		}
		v.ReportAt(PolicyOutcome{Status: 503, NoRetry: true}, at)
	}
	p.CheckAt(&r, 10).ReportAt(PolicyOutcome{Status: 503}, 10)
	if v := p.CheckAt(&r, 11); v.Status != 503 || v.Reason != "breaker_open" || v.Header.Get("x-weir-no-retry") != "1" {
		t.Fatalf("after an unmarked 503: %+v", v)
	}
}

// A check keyed on what only a Go request carries (its strings as given,
// a header among others) counts where the policy says, and a closed
// policy answers 500 "closed" rather than crashing.
func TestPolicyCheckReadsEachFieldAndAClosedPolicyAnswers500(t *testing.T) {
	p, err := NewPolicy(`{"rules": [
		{"name": "caller", "match": {"path_prefix": "/k"}, "limit": {"rate": 1, "per": "1h", "key": "caller"}},
		{"name": "client", "match": {"path_prefix": "/c"}, "limit": {"rate": 1, "per": "1h", "key": "client_address"}},
		{"name": "tenant", "match": {"path_prefix": "/t"}, "limit": {"rate": 1, "per": "1h", "key": "header:x-tenant"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	twice := func(a, b Request) (bool, bool) { return p.Check(&a).Admitted, p.Check(&b).Admitted }
	if first, again := twice(Request{Path: "/k", Key: "u1"}, Request{Path: "/k", Key: "u1"}); !first || again {
		t.Fatalf("same caller key: %v then %v", first, again)
	}
	if _, other := twice(Request{Path: "/k", Key: "u2"}, Request{Path: "/k", Key: "u3"}); !other {
		t.Fatal("another caller key was refused")
	}
	if first, again := twice(Request{Path: "/c", ClientAddress: "10.0.0.1:1"}, Request{Path: "/c", ClientAddress: "10.0.0.1:2"}); !first || again {
		t.Fatalf("same client, another port: %v then %v", first, again)
	}
	h := func(tenant string) http.Header {
		return http.Header{"Accept": {"*/*"}, "X-Tenant": {tenant}, "User-Agent": {"go"}}
	}
	if first, again := twice(Request{Path: "/t", Header: h("a")}, Request{Path: "/t", Header: h("a")}); !first || again {
		t.Fatalf("same tenant: %v then %v", first, again)
	}
	if _, other := twice(Request{Path: "/t", Header: h("b")}, Request{Path: "/t", Header: h("c")}); !other {
		t.Fatal("another tenant was refused")
	}
	p.Close()
	if v := p.Check(&Request{Path: "/"}); v.Admitted || v.Status != 500 || v.Reason != "closed" {
		t.Fatalf("closed policy: %+v", v)
	}
}
