package weir

/*
#include <stdlib.h>
#include "weir.h"

// Handles cross as plain integers (see hot.h): cgo has no pointer to
// check. A check returns its verdict as one: 0 for an admission that
// carries nothing, WEIR_GO_CHECK_FAILED when the policy could not check
// (it was closed), else the verdict's address.
enum { WEIR_GO_CHECK_FAILED = 1 };

static inline uintptr_t weir_go_policy_check(uintptr_t policy, const uint8_t *method, size_t method_len,
                                             const uint8_t *path, size_t path_len, const uint8_t *client_address,
                                             size_t client_address_len, const uint8_t *key, size_t key_len,
                                             const uint8_t *headers, size_t headers_len, bool clock, uint64_t now) {
  weir_verdict *v = NULL;
  const weir_policy *p = (const weir_policy *)policy;
  weir_status s = clock ? weir_policy_check_fields_now(p, method, method_len, path, path_len, client_address,
                                                       client_address_len, key, key_len, headers, headers_len, &v)
                        : weir_policy_check_fields(p, method, method_len, path, path_len, client_address,
                                                   client_address_len, key, key_len, headers, headers_len, now, &v);
  return s == WEIR_STATUS_OK ? (uintptr_t)v : WEIR_GO_CHECK_FAILED;
}
static inline void weir_go_verdict_get_info(uintptr_t v, weir_verdict_info *out) {
  weir_verdict_get_info((const weir_verdict *)v, out);
}
static inline void weir_go_verdict_get_text(uintptr_t v, weir_verdict_text which, const uint8_t **ptr, size_t *len) {
  weir_verdict_get_text((const weir_verdict *)v, which, ptr, len);
}
static inline void weir_go_verdict_get_header(uintptr_t v, bool request, size_t index, weir_header *out) {
  weir_verdict_get_header((const weir_verdict *)v, request, index, out);
}
static inline void weir_go_verdict_report(uintptr_t v, const weir_outcome *outcome, bool no_retry, uint64_t now) {
  if (no_retry) {
    weir_verdict_report_answer((const weir_verdict *)v, outcome, true, now);
  } else {
    weir_verdict_report((const weir_verdict *)v, outcome, now);
  }
}
static inline void weir_go_verdict_free(uintptr_t v) {
  weir_verdict *owned = (weir_verdict *)v;
  weir_verdict_free(&owned);
}
// The strings and the header buffer are read during the call and kept by
// neither side.
#cgo noescape weir_go_policy_check
#cgo nocallback weir_go_policy_check
*/
import "C"

import (
	"net/http"
	"runtime"
	"time"
	"unsafe"
)

// Policy is the Envoy filter's policy document (rules that match a
// request, key it, limit, set a deadline, throttle, shed and pick) run in
// this process by the same engine. Safe for concurrent use.
type Policy struct {
	h *C.weir_policy
}

// PolicyError is a refused policy document: the rule (`rule #2 "api"`,
// empty for a top-level field), the dotted field (`limit[1].rate`) and why.
type PolicyError struct {
	Rule    string
	Field   string
	Message string
}

func (e *PolicyError) Error() string { return "weir: policy refused: " + e.Message }

func policyStatus(s C.weir_status) error {
	if s == C.WEIR_STATUS_INVALID_CONFIG {
		return &PolicyError{
			Rule:    C.GoString(C.weir_last_error_rule()),
			Field:   C.GoString(C.weir_last_error_field()),
			Message: C.GoString(C.weir_last_error_message()),
		}
	}
	return statusError(s)
}

// policyCall runs a call pinned to one OS thread, so the last error read
// on failure is the one that call set.
func policyCall(call func() C.weir_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return policyStatus(call())
}

func cbytes(s string) (*C.uint8_t, C.size_t) {
	if s == "" {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

func newPolicy(p *Policy) *Policy {
	runtime.SetFinalizer(p, (*Policy).Close)
	return p
}

// NewPolicy loads a policy document.
func NewPolicy(json string) (*Policy, error) {
	p := &Policy{}
	ptr, n := cbytes(json)
	err := policyCall(func() C.weir_status { return C.weir_policy_new(ptr, n, &p.h) })
	runtime.KeepAlive(json)
	if err != nil {
		return nil, err
	}
	return newPolicy(p), nil
}

// NewPolicyAt loads a policy whose clock starts at now (nanoseconds) and
// whose learners draw from seed: a recorded trace replays the same.
func NewPolicyAt(json string, now, seed uint64) (*Policy, error) {
	p := &Policy{}
	ptr, n := cbytes(json)
	err := policyCall(func() C.weir_status {
		return C.weir_policy_new_at(ptr, n, C.uint64_t(now), C.uint64_t(seed), &p.h)
	})
	runtime.KeepAlive(json)
	if err != nil {
		return nil, err
	}
	return newPolicy(p), nil
}

// LoadPolicy loads the policy file at path.
func LoadPolicy(path string) (*Policy, error) {
	p := &Policy{}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if err := policyCall(func() C.weir_status { return C.weir_policy_load(cpath, &p.h) }); err != nil {
		return nil, err
	}
	return newPolicy(p), nil
}

// Close frees the policy. Verdicts still held keep what they need.
func (p *Policy) Close() {
	C.weir_policy_free(&p.h)
}

// Replace swaps in a new document atomically. Limits whose rule, rate,
// burst and table size are unchanged keep their state; a document that
// fails validation returns a *PolicyError and the old one keeps serving.
func (p *Policy) Replace(json string) error { return p.ReplaceAt(json, Now()) }

// ReplaceAt is Replace at now (nanoseconds on Now's clock).
func (p *Policy) ReplaceAt(json string, now uint64) error {
	ptr, n := cbytes(json)
	err := policyCall(func() C.weir_status { return C.weir_policy_replace(p.h, ptr, n, C.uint64_t(now)) })
	runtime.KeepAlive(json)
	runtime.KeepAlive(p)
	return err
}

// Counter is the total of a counter (`weir.<rule>.<outcome>`, the Envoy
// filter's names); 0 for one the policy does not count.
func (p *Policy) Counter(name string) uint64 {
	var total C.uint64_t
	ptr, n := cbytes(name)
	C.weir_policy_counter(p.h, ptr, n, &total)
	runtime.KeepAlive(name)
	runtime.KeepAlive(p)
	return uint64(total)
}

// Request is what a policy reads of a request.
type Request struct {
	Method string
	// Path as sent, query included.
	Path   string
	Header http.Header
	// ClientAddress is "ip", "ip:port" or "[v6]:port".
	ClientAddress string
	// Key is what rules with "key": "caller" count under (a user id, an API key).
	Key string
}

// RequestOf describes an incoming *http.Request, keyed for "caller" rules by key.
func RequestOf(r *http.Request, key string) Request {
	return Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header, ClientAddress: r.RemoteAddr, Key: key}
}

// Verdict is what Check decided. Admitted: Header goes on the response,
// RequestHeader on the request sent on. Refused: Status, Header and Body
// are the answer to send; Reason and Rule say why.
type Verdict struct {
	Admitted      bool
	Status        int
	Reason        string
	Rule          string
	Body          string
	Header        http.Header
	RequestHeader http.Header
	Upstream      string
	// Deadline is the time the upstream gets (0: no deadline rule applied).
	Deadline time.Duration
	// The native verdict a learner waits on (0: none).
	pending C.uintptr_t
}

// PolicyOutcome is how a request a Policy checked ended.
type PolicyOutcome struct {
	// Status is the HTTP status; 0: no answer came (a reset, a timeout).
	Status int
	// GRPCStatus is the grpc-status the upstream sent (0: OK or none).
	GRPCStatus int
	// Latency from the check to the answer; 0: the time until Report.
	Latency time.Duration
	// CPU the upstream reported, permille; 0: none.
	CPU int
	// NoRetry: the answer carried x-weir-no-retry: 1, an overload a weir
	// further down decided, which the policy's breaker does not count
	// against this upstream.
	NoRetry bool
}

// admitted is the verdict of every plain admission (nothing to add to the
// request or the response, nothing to learn from its outcome): one shared
// value, so the common case allocates nothing. Verdicts are read-only.
var admitted = &Verdict{Admitted: true, Status: 200, Reason: "admitted"}

// Check decides a request now.
func (p *Policy) Check(r *Request) *Verdict { return p.check(r, 0, true) }

// CheckAt decides a request at now (nanoseconds on Now's clock).
func (p *Policy) CheckAt(r *Request, now uint64) *Verdict { return p.check(r, now, false) }

// wireStack is the header buffer a check keeps on its stack; more headers
// spill to the heap.
const wireStack = 512

// check makes one crossing: the request's strings go as they are (plain
// bytes, nothing for cgo to check or pin), its headers in
// weir_policy_check_fields' layout. With clock set, the native side reads
// the time itself rather than Go asking for it in a crossing of its own.
func (p *Policy) check(r *Request, now uint64, clock bool) *Verdict {
	var v C.uintptr_t
	if len(r.Header) == 0 {
		v = p.call(r, nil, now, clock)
	} else {
		v = p.checkHeaders(r, now, clock)
	}
	switch v {
	case 0:
		return admitted
	case C.WEIR_GO_CHECK_FAILED:
		return &Verdict{Status: 500, Reason: "closed", Header: http.Header{}}
	}
	return verdictOf(v)
}

// checkHeaders lays the headers out on its own stack frame, so a request
// without headers does not pay for clearing the buffer.
//
//go:noinline
func (p *Policy) checkHeaders(r *Request, now uint64, clock bool) C.uintptr_t {
	var stack [wireStack]byte
	return p.call(r, appendHeaders(stack[:0], r.Header), now, clock)
}

func (p *Policy) call(r *Request, headers []byte, now uint64, clock bool) C.uintptr_t {
	method, methodLen := cbytes(r.Method)
	path, pathLen := cbytes(r.Path)
	address, addressLen := cbytes(r.ClientAddress)
	key, keyLen := cbytes(r.Key)
	var wire *C.uint8_t
	if len(headers) > 0 {
		wire = (*C.uint8_t)(unsafe.Pointer(&headers[0]))
	}
	v := C.weir_go_policy_check(C.uintptr_t(handle(unsafe.Pointer(p.h))), method, methodLen, path, pathLen,
		address, addressLen, key, keyLen, wire, C.size_t(len(headers)), C.bool(clock), C.uint64_t(now))
	runtime.KeepAlive(p)
	runtime.KeepAlive(r)
	return v
}

func appendLength(wire []byte, n int) []byte {
	return append(wire, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
}

func appendField(wire []byte, s string) []byte {
	return append(appendLength(wire, len(s)), s...)
}

// appendHeaders lays out the first value of each header as
// weir_policy_check_fields reads them: the count, then each name and value.
func appendHeaders(wire []byte, header http.Header) []byte {
	wire = appendLength(wire, 0)
	count := 0
	for name, values := range header {
		if len(values) > 0 {
			wire = appendField(appendField(wire, name), values[0])
			count++
		}
	}
	appendLength(wire[:0], count)
	return wire
}

func text(v C.uintptr_t, which C.weir_verdict_text) string {
	var ptr *C.uint8_t
	var n C.size_t
	C.weir_go_verdict_get_text(v, which, &ptr, &n)
	return C.GoStringN((*C.char)(unsafe.Pointer(ptr)), C.int(n))
}

func headersOf(v C.uintptr_t, request bool, count C.size_t) http.Header {
	out := make(http.Header, int(count))
	for i := C.size_t(0); i < count; i++ {
		var h C.weir_header
		C.weir_go_verdict_get_header(v, C.bool(request), i, &h)
		name := C.GoStringN((*C.char)(unsafe.Pointer(h.name)), C.int(h.name_len))
		value := C.GoStringN((*C.char)(unsafe.Pointer(h.value)), C.int(h.value_len))
		out.Add(name, value)
	}
	return out
}

func verdictOf(out C.uintptr_t) *Verdict {
	var info C.weir_verdict_info
	C.weir_go_verdict_get_info(out, &info)
	v := &Verdict{
		Admitted:      bool(info.admitted),
		Status:        int(info.status),
		Reason:        text(out, C.WEIR_VERDICT_TEXT_REASON),
		Rule:          text(out, C.WEIR_VERDICT_TEXT_RULE),
		Body:          text(out, C.WEIR_VERDICT_TEXT_BODY),
		Upstream:      text(out, C.WEIR_VERDICT_TEXT_UPSTREAM),
		Header:        headersOf(out, false, info.headers),
		RequestHeader: headersOf(out, true, info.request_headers),
	}
	if info.has_deadline {
		v.Deadline = time.Duration(info.deadline_ns)
	}
	if !info.pending {
		C.weir_go_verdict_free(out)
		return v
	}
	v.pending = out
	// A verdict dropped unreported is taken back by the learners.
	runtime.SetFinalizer(v, (*Verdict).free)
	return v
}

func (v *Verdict) free() {
	if v.pending != 0 {
		C.weir_go_verdict_free(v.pending)
		v.pending = 0
	}
}

// Report tells the throttle, shedder and picker that let the request
// through how it ended, now. Once; later reports do nothing.
func (v *Verdict) Report(o PolicyOutcome) {
	// A plain admission has nothing to learn from: no clock read for it.
	if v.pending != 0 {
		v.ReportAt(o, Now())
	}
}

// ReportAt is Report at now (nanoseconds on Now's clock), used when
// o.Latency is 0.
func (v *Verdict) ReportAt(o PolicyOutcome, now uint64) {
	if v.pending == 0 {
		return
	}
	out := C.weir_outcome{
		status:          C.uint32_t(max(o.Status, 0)),
		has_grpc_status: o.GRPCStatus != 0,
		grpc_status:     C.uint32_t(max(o.GRPCStatus, 0)),
		has_latency:     o.Latency > 0,
		latency_ns:      C.uint64_t(max(o.Latency, 0)),
		has_cpu:         o.CPU > 0,
		cpu:             C.uint64_t(max(o.CPU, 0)),
	}
	C.weir_go_verdict_report(v.pending, &out, C.bool(o.NoRetry), C.uint64_t(now))
	v.free()
	runtime.SetFinalizer(v, nil)
}
