package weir

// Replays of the picker vectors through the explicit forms of Picker.

import (
	"testing"
	"time"
)

func replayPicker(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	p, err := NewPicker(int(c.u64("capacity", 0)),
		Tau(time.Duration(c.u64("tau_ns", uint64(600*time.Millisecond)))),
		ForcePickAfter(time.Duration(c.u64("force_pick_ns", uint64(3*time.Second)))),
		Health(c.f64("success_floor", 0.5), int(c.u64("cpu_ceiling", 900))),
		LatencyBias(time.Duration(c.u64("latency_bias_ns", uint64(5*time.Millisecond)))),
		InitialLatency(time.Duration(c.u64("initial_latency_ns", 0))),
	)
	if !build(t, v, err) {
		return
	}
	defer p.Close()
	each(func(r *replayer) {
		now := r.now()
		switch r.step.Op {
		case "add":
			index, err := p.add(r.arg("id"), now)
			if err == nil {
				r.str("reason", "admitted")
				r.u64("index", uint64(index))
			} else {
				r.str("reason", "table_full")
			}
		case "remove":
			r.bool("ok", p.Remove(int(r.arg("index"))))
		case "set_up":
			r.bool("ok", p.SetUp(int(r.arg("index")), r.argBool("up")))
		case "pick":
			reason, index, gen, forced := p.pick(now, r.arg("draw"))
			r.str("reason", reason.String())
			r.u64("index", uint64(index))
			r.u64("gen", uint64(gen))
			r.bool("forced", forced)
		case "done":
			cpu := -1
			if r.has("cpu_permille") {
				cpu = int(r.arg("cpu_permille"))
			}
			r.bool("ok", p.done(uint32(r.arg("index")), uint32(r.arg("gen")), now, r.arg("latency_ns"), r.argBool("success"), cpu))
		case "node":
			n, ok := p.Node(int(r.arg("index")))
			if !ok {
				t.Fatalf("step %d: no slot %d", r.i, r.arg("index"))
			}
			r.str("state", n.State)
			r.u64("in_flight", n.InFlight)
			r.u64("latency_ns", uint64(n.Latency))
			r.u64("success_ppm", uint64(n.Success*1e6))
			r.u64("cpu_permille", n.CPUPermille)
			r.u64("id", n.ID)
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
	})
}
