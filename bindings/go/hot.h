/* Hot-path shims for the cgo path (other platforms, the weir_cgocall
 * tag, sanitizer builds, RUST_BACKTRACE set; directcall.go has the direct
 * path): the
 * same calls as weir.h with each handle passed as a uintptr_t. cgo checks
 * every argument whose type could point into Go memory (an opaque handle
 * type could), a call into the Go runtime on every decision; a handle is
 * C memory, so the check is pure cost. */
#ifndef WEIR_GO_HOT_H
#define WEIR_GO_HOT_H

#include "weir.h"

#define WEIR_GO_HANDLE(type, h) ((const type *)(h))

static inline weir_status weir_go_limiter_acquire_now(uintptr_t h, uint64_t cost, weir_decision *out) {
  return weir_limiter_acquire_now(WEIR_GO_HANDLE(weir_limiter, h), cost, out);
}
static inline weir_status weir_go_keyed_limiter_acquire_bytes_now(uintptr_t h, const uint8_t *key, size_t len,
                                                                  uint64_t cost, weir_decision *out) {
  return weir_keyed_limiter_acquire_bytes_now(WEIR_GO_HANDLE(weir_keyed_limiter, h), key, len, cost, out);
}
static inline weir_status weir_go_concurrency_limiter_acquire(uintptr_t h, weir_decision *out) {
  return weir_concurrency_limiter_acquire(WEIR_GO_HANDLE(weir_concurrency_limiter, h), out);
}
static inline weir_status weir_go_concurrency_limiter_release(uintptr_t h, bool *handed_off, uint64_t *token) {
  return weir_concurrency_limiter_release_next(WEIR_GO_HANDLE(weir_concurrency_limiter, h), handed_off, token);
}
static inline weir_status weir_go_shedder_acquire_now(uintptr_t h, weir_decision *out, uint64_t *started_at) {
  return weir_shedder_acquire_now(WEIR_GO_HANDLE(weir_shedder, h), out, started_at);
}
static inline weir_status weir_go_shedder_acquire_slot_now(uintptr_t h, weir_shedder_slots *slots,
                                                          weir_shedder_admission *out) {
  return weir_shedder_acquire_slot_now(WEIR_GO_HANDLE(weir_shedder, h), slots, out);
}
static inline weir_status weir_go_shedder_done_now(uintptr_t h, uint64_t started_at) {
  return weir_shedder_done_now(WEIR_GO_HANDLE(weir_shedder, h), started_at);
}
static inline weir_status weir_go_throttle_acquire_now(uintptr_t h, weir_decision *out) {
  return weir_throttle_acquire_now(WEIR_GO_HANDLE(weir_throttle, h), out);
}
static inline weir_status weir_go_throttle_record_now(uintptr_t h, bool success) {
  return weir_throttle_record_now(WEIR_GO_HANDLE(weir_throttle, h), success);
}
static inline weir_status weir_go_picker_pick_now(uintptr_t h, weir_pick *out) {
  return weir_picker_pick_now(WEIR_GO_HANDLE(weir_picker, h), out);
}
static inline weir_status weir_go_picker_done_now(uintptr_t h, const weir_pick *pick, bool success, int32_t cpu) {
  return weir_picker_done_now(WEIR_GO_HANDLE(weir_picker, h), pick, success, cpu);
}
/* The explicit-time forms, for AllowN and the conformance vectors. */
static inline weir_status weir_go_limiter_acquire(uintptr_t h, uint64_t now, uint64_t cost, weir_decision *out) {
  return weir_limiter_acquire(WEIR_GO_HANDLE(weir_limiter, h), now, cost, out);
}
static inline weir_status weir_go_keyed_limiter_acquire(uintptr_t h, uint64_t key, uint64_t now, uint64_t cost,
                                                        weir_decision *out) {
  return weir_keyed_limiter_acquire(WEIR_GO_HANDLE(weir_keyed_limiter, h), key, now, cost, out);
}
static inline weir_status weir_go_shedder_acquire(uintptr_t h, uint64_t now, weir_decision *out) {
  return weir_shedder_acquire(WEIR_GO_HANDLE(weir_shedder, h), now, out);
}
static inline weir_status weir_go_shedder_acquire_slot(uintptr_t h, weir_shedder_slots *slots, uint64_t now,
                                                      weir_shedder_admission *out) {
  return weir_shedder_acquire_slot(WEIR_GO_HANDLE(weir_shedder, h), slots, now, out);
}
static inline weir_status weir_go_shedder_done(uintptr_t h, uint64_t started_at, uint64_t now) {
  return weir_shedder_done(WEIR_GO_HANDLE(weir_shedder, h), started_at, now);
}
static inline weir_status weir_go_throttle_acquire(uintptr_t h, uint64_t now, uint64_t draw, weir_decision *out) {
  return weir_throttle_acquire(WEIR_GO_HANDLE(weir_throttle, h), now, draw, out);
}
static inline weir_status weir_go_throttle_record(uintptr_t h, uint64_t now, bool success) {
  return weir_throttle_record(WEIR_GO_HANDLE(weir_throttle, h), now, success);
}
static inline weir_status weir_go_picker_pick(uintptr_t h, uint64_t now, uint64_t draw, weir_pick *out) {
  return weir_picker_pick(WEIR_GO_HANDLE(weir_picker, h), now, draw, out);
}
static inline weir_status weir_go_picker_done(uintptr_t h, const weir_pick *pick, uint64_t now, uint64_t latency_ns,
                                              bool success, int32_t cpu) {
  return weir_picker_done(WEIR_GO_HANDLE(weir_picker, h), pick, now, latency_ns, success, cpu);
}
static inline weir_status weir_go_singleflight_begin_bytes(uintptr_t h, const uint8_t *key, size_t len,
                                                           weir_flight *out) {
  return weir_singleflight_begin_bytes(WEIR_GO_HANDLE(weir_singleflight, h), key, len, out);
}
static inline weir_status weir_go_fleet_limiter_acquire(uintptr_t h, uint64_t cost, weir_decision *out) {
  return weir_fleet_limiter_acquire(WEIR_GO_HANDLE(weir_fleet_limiter, h), cost, out);
}

#endif
