// Package weirhttp runs net/http requests through a weir policy: a
// middleware, func(http.Handler) http.Handler, as chi, gorilla and the
// standard library compose them.
//
//	policy, err := weir.LoadPolicy("policy.json")
//	handler := weirhttp.Middleware(policy, weirhttp.WithKey(func(r *http.Request) string {
//		return r.Header.Get("X-Api-Key")
//	}))(mux)
//
// A refused request is answered with the verdict's status, headers
// (Retry-After, X-Ratelimit-*, X-Weir-Rule) and body; the handler never
// runs. An admitted one reaches the handler with the verdict's request
// headers added, the verdict's deadline on its context and the verdict in
// it (VerdictFrom); its outcome is reported when the response starts (the
// status, the time since the check), or as a reset when the request's
// context ends before that.
package weirhttp

import (
	"context"
	"io"
	"log"
	"net/http"
	"strconv"

	weir "github.com/weir-rs/weir/bindings/go"
)

type config struct {
	key       func(*http.Request) string
	onRefused func(*http.Request, *weir.Verdict)
}

// Option configures Middleware.
type Option func(*config)

// WithKey gives the caller key rules with "key": "caller" count under
// (a user id, an API key); "" is no key.
func WithKey(key func(*http.Request) string) Option {
	return func(c *config) { c.key = key }
}

// OnRefused calls fn with each refused request and its verdict once the
// refusal is written, on the request's goroutine. A panic in fn is logged;
// the client already has its answer.
func OnRefused(fn func(*http.Request, *weir.Verdict)) Option {
	return func(c *config) { c.onRefused = fn }
}

func notifyRefused(fn func(*http.Request, *weir.Verdict), r *http.Request, v *weir.Verdict) {
	defer func() {
		if p := recover(); p != nil {
			log.Printf("weirhttp: OnRefused panicked on a refusal by rule %q: %v", v.Rule, p)
		}
	}()
	fn(r, v)
}

type verdictKey struct{}

// VerdictFrom is the verdict that admitted the request whose context this is.
func VerdictFrom(ctx context.Context) (*weir.Verdict, bool) {
	v, ok := ctx.Value(verdictKey{}).(*weir.Verdict)
	return v, ok
}

// Middleware runs every request through policy.
func Middleware(policy *weir.Policy, opts ...Option) func(http.Handler) http.Handler {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			req := weir.RequestOf(r, "")
			if c.key != nil {
				req.Key = c.key(r)
			}
			v := policy.Check(&req)
			if !v.Admitted {
				refuse(w, v)
				if c.onRefused != nil {
					notifyRefused(c.onRefused, r, v)
				}
				return
			}
			// The plain admission (no headers, nothing to learn) goes straight on.
			if v.Header == nil {
				next.ServeHTTP(w, r)
				return
			}
			serve(next, w, r, v)
		})
	}
}

func refuse(w http.ResponseWriter, v *weir.Verdict) {
	h := w.Header()
	for name, values := range v.Header {
		h[name] = values
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(v.Body)))
	w.WriteHeader(v.Status)
	_, _ = io.WriteString(w, v.Body)
}

func serve(next http.Handler, w http.ResponseWriter, r *http.Request, v *weir.Verdict) {
	for name, values := range v.RequestHeader {
		r.Header[name] = values
	}
	h := w.Header()
	for name, values := range v.Header {
		h[name] = values
	}
	ctx := context.WithValue(r.Context(), verdictKey{}, v)
	if v.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, v.Deadline)
		defer cancel()
	}
	r = r.WithContext(ctx)
	rw := &reporter{ResponseWriter: w, verdict: v}
	defer func() {
		p := recover()
		if !rw.reported {
			switch {
			case p != nil:
				rw.report(http.StatusInternalServerError)
			case r.Context().Err() != nil:
				rw.report(0) // no answer came: the client left or the deadline passed
			default:
				rw.report(http.StatusOK) // net/http answers 200 for a handler that wrote nothing
			}
		}
		if p != nil {
			panic(p)
		}
	}()
	next.ServeHTTP(rw, r)
}

// reporter reports the status when the response starts.
type reporter struct {
	http.ResponseWriter
	verdict  *weir.Verdict
	reported bool
}

func (w *reporter) report(status int) {
	w.reported = true
	w.verdict.Report(weir.PolicyOutcome{Status: status})
}

func (w *reporter) WriteHeader(status int) {
	if !w.reported && status >= 200 {
		w.report(status)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *reporter) Write(b []byte) (int, error) {
	if !w.reported {
		w.report(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the middleware.
func (w *reporter) Flush() {
	if !w.reported {
		w.report(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *reporter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
