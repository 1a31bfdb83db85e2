package weir

// Replays of the singleflight vectors through the explicit forms of Group.

import "testing"

func replaySingleflight(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	g, err := NewGroup(int(c.u64("capacity", 0)))
	if !build(t, v, err) {
		return
	}
	defer g.Close()
	each(func(r *replayer) {
		switch r.step.Op {
		case "begin":
			role, slot, gen := g.begin(r.arg("key"))
			r.str("role", role)
			r.u64("slot", uint64(slot))
			r.u64("gen", uint64(gen))
		case "finish", "leave":
			slot, gen := uint32(r.arg("slot")), uint32(r.arg("gen"))
			if r.step.Op == "finish" {
				r.bool("ok", g.finish(slot, gen))
			} else {
				r.bool("ok", g.leave(slot, gen))
			}
			r.u64("waiters", g.waiters(slot))
		case "is_done":
			r.bool("done", g.isDone(uint32(r.arg("slot")), uint32(r.arg("gen"))))
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
		r.u64("occupied", g.occupied())
	})
}
