package weir

/*
#include "weir.h"
*/
import "C"

import (
	"errors"
	"runtime"
	"time"
	"unsafe"
)

// LatencyQuantiles keeps recent latencies in fixed memory (a windowed
// log-linear histogram, 38 KiB) and reads any quantile within 1/64 of the
// exact nearest-rank sample. Safe for concurrent use: a record is one
// compare-exchange.
type LatencyQuantiles struct {
	h *C.weir_quantiles
}

// QuantileOption adjusts an estimator's window.
type QuantileOption func(*C.weir_quantiles_config)

// QuantileWindow sets how far back the estimate reaches and the
// sub-windows it rotates through (1..4): the estimate covers between
// window - window/subWindows and window.
func QuantileWindow(window time.Duration, subWindows int) QuantileOption {
	return func(c *C.weir_quantiles_config) {
		c.window_ns = C.uint64_t(uint64(max(window, 0)))
		c.sub_windows = C.uint64_t(uint64(max(subWindows, 0)))
	}
}

// ErrNoSamples is Quantile's error when the window holds no sample.
var ErrNoSamples = errors.New("weir: no latency in the window")

// NewLatencyQuantiles makes an empty estimator (10 s in 4 sub-windows
// unless an option says otherwise); a bad window is a *ConfigError.
func NewLatencyQuantiles(opts ...QuantileOption) (*LatencyQuantiles, error) {
	var cfg C.weir_quantiles_config
	C.weir_quantiles_config_default(&cfg)
	for _, o := range opts {
		o(&cfg)
	}
	q := &LatencyQuantiles{}
	if err := create(func() C.weir_status { return C.weir_quantiles_new(&cfg, &q.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(q, (*LatencyQuantiles).Close)
	return q, nil
}

// Record counts one latency now.
func (q *LatencyQuantiles) Record(latency time.Duration) {
	C.weir_quantiles_record_now(q.h, C.uint64_t(uint64(max(latency, 0))))
	runtime.KeepAlive(q)
}

// Quantile is the q-quantile (q in [0, 1]; 0.99 for p99) of the window:
// ErrNoSamples when it is empty, a *ConfigError naming "q" when q is out
// of range.
func (q *LatencyQuantiles) Quantile(quantile float64) (time.Duration, error) {
	r, err := q.read(Now(), quantile)
	if err != nil {
		return 0, err
	}
	if r.found == 0 {
		return 0, ErrNoSamples
	}
	return duration(r.value_ns), nil
}

// Count is the number of samples in the window.
func (q *LatencyQuantiles) Count() uint64 {
	r, _ := q.read(Now(), 0.5)
	return uint64(r.count)
}

func (q *LatencyQuantiles) read(now uint64, quantile float64) (C.weir_quantile_reading, error) {
	var r C.weir_quantile_reading
	s := C.weir_quantiles_quantile(q.h, C.uint64_t(now), C.double(quantile), &r)
	runtime.KeepAlive(q)
	if s != C.WEIR_STATUS_OK {
		return r, statusError(s)
	}
	return r, nil
}

func (q *LatencyQuantiles) record(now, latency, n uint64) {
	C.weir_quantiles_record(q.h, C.uint64_t(now), C.uint64_t(latency), C.uint64_t(n))
	runtime.KeepAlive(q)
}

// QuantileBucket is one non-empty bucket of a snapshot: Count samples
// between Lower (inclusive) and Upper (exclusive; math.MaxUint64 ns for
// the last bucket).
type QuantileBucket struct {
	Lower, Upper uint64 // nanoseconds
	Count        uint64
}

// QuantileSnapshot is the window at one instant, for metrics.
type QuantileSnapshot struct {
	Count   uint64
	Buckets []QuantileBucket
}

// Snapshot is the window bucket by bucket, ascending.
func (q *LatencyQuantiles) Snapshot() QuantileSnapshot { return q.snapshot(Now()) }

func (q *LatencyQuantiles) snapshot(now uint64) QuantileSnapshot {
	var n C.size_t
	C.weir_quantiles_buckets(q.h, C.uint64_t(now), nil, 0, &n)
	raw := make([]C.weir_quantile_bucket, int(n)+8)
	C.weir_quantiles_buckets(q.h, C.uint64_t(now), (*C.weir_quantile_bucket)(unsafe.Pointer(&raw[0])), C.size_t(len(raw)), &n)
	runtime.KeepAlive(q)
	out := QuantileSnapshot{Buckets: make([]QuantileBucket, 0, min(int(n), len(raw)))}
	for _, b := range raw[:min(int(n), len(raw))] {
		out.Buckets = append(out.Buckets, QuantileBucket{Lower: uint64(b.lower), Upper: uint64(b.upper), Count: uint64(b.count)})
		out.Count += uint64(b.count)
	}
	return out
}

// Merge adds other's window into q (per-worker estimators folded into one
// report); both must have the same window, else a *ConfigError.
func (q *LatencyQuantiles) Merge(other *LatencyQuantiles) error { return q.merge(other, Now()) }

func (q *LatencyQuantiles) merge(other *LatencyQuantiles, now uint64) error {
	s := C.weir_quantiles_merge(q.h, other.h, C.uint64_t(now))
	runtime.KeepAlive(q)
	runtime.KeepAlive(other)
	if s != C.WEIR_STATUS_OK {
		return statusError(s)
	}
	return nil
}

func quantileBucketBounds(value uint64) (lower, upper uint64) {
	var l, u C.uint64_t
	C.weir_quantiles_bucket_bounds(C.uint64_t(value), &l, &u)
	return uint64(l), uint64(u)
}

// Close frees the estimator. Idempotent.
func (q *LatencyQuantiles) Close() error {
	C.weir_quantiles_free(&q.h)
	return nil
}
