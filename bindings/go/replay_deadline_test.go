package weir

// Replays of the deadline vectors (the budget and the grpc-timeout and
// milliseconds headers) through the explicit forms of Deadline.

import "testing"

func replayDeadline(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	d, err := newDeadline(c.u64("timeout_ns", 1<<64-1), c.u64("margin_ns", 0))
	if !build(t, v, err) {
		return
	}
	defer d.Close()
	each(func(r *replayer) {
		switch r.step.Op {
		case "budget":
			reason, timeout := d.budget(r.now(), r.has("deadline_ns"), r.argOr("deadline_ns", 0))
			r.str("reason", reason.String())
			r.u64("timeout_ns", ns(timeout))
		case "parse_grpc_timeout":
			v, err := parseGrpcTimeoutNs(r.argStr("value"))
			r.parsedNs(v, err)
		case "parse_millis":
			r.parsed(ParseMillis(r.argStr("value")))
		case "format_grpc_timeout", "format_millis":
			size := int(r.argOr("buf_len", 32))
			var s string
			var err error
			if r.step.Op == "format_grpc_timeout" {
				s, err = formatGrpcTimeout(r.arg("ns"), size)
			} else {
				s, err = formatMillis(r.arg("ns"), size)
			}
			if err != nil {
				r.str("error", "buffer_too_small")
			} else {
				r.str("value", s)
			}
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
	})
}
