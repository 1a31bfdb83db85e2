package weir

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// unitNumber is a number of the units vectors, where "NaN", "inf" and
// "-inf" are strings.
type unitNumber float64

func (n *unitNumber) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*n = unitNumber(map[string]float64{"NaN": math.NaN(), "inf": math.Inf(1), "-inf": math.Inf(-1)}[s])
		return nil
	}
	var f float64
	err := json.Unmarshal(b, &f)
	*n = unitNumber(f)
	return err
}

// TestLimiterUnitsVectors replays host/tests/vectors/limiter-units.json:
// NewLimiter's units become the same kernel config as in every runtime.
// Go's API always takes a whole burst (as x/time/rate does), so cases
// without one pass the burst they expect, and fractional bursts, which an
// int cannot hold, are not Go's to replay.
func TestLimiterUnitsVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "host", "tests", "vectors", "limiter-units.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name   string
			Rate   unitNumber
			PerNs  uint64 `json:"per_ns"`
			Burst  *unitNumber
			Config *struct {
				Rate     uint64
				PeriodNs uint64 `json:"period_ns"`
				Burst    uint64
			}
			IntervalNs uint64 `json:"interval_ns"`
			Error      *struct{ Field, Rule string }
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	replayed := 0
	for _, c := range file.Cases {
		burst := 0
		switch {
		case c.Burst != nil && float64(*c.Burst) != math.Trunc(float64(*c.Burst)):
			continue
		case c.Burst != nil:
			burst = int(*c.Burst)
		case c.Config != nil:
			burst = int(c.Config.Burst)
		default:
			burst = 1
		}
		replayed++
		cfg, err := limiterConfig(float64(c.Rate), burst, []LimiterOption{Per(time.Duration(c.PerNs))})
		if c.Error != nil {
			ce, ok := err.(*ConfigError)
			if !ok || ce.Field != c.Error.Field || ce.Rule != c.Error.Rule {
				t.Errorf("%s: want %s / %s, got %v", c.Name, c.Error.Field, c.Error.Rule, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: refused: %v", c.Name, err)
			continue
		}
		if uint64(cfg.rate) != c.Config.Rate || uint64(cfg.period_ns) != c.Config.PeriodNs || uint64(cfg.burst) != c.Config.Burst {
			t.Errorf("%s: got %+v, want %+v", c.Name, cfg, *c.Config)
		}
		// The interval the limiter keeps: after the burst, the next token
		// is interval_ns away.
		l, err := NewLimiter(float64(c.Rate), burst, Per(time.Duration(c.PerNs)))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if d := l.acquire(0, uint64(burst)); !d.Admitted() {
			t.Errorf("%s: the first burst was refused: %+v", c.Name, d)
		}
		if d := l.acquire(0, 1); d.RetryAfter != time.Duration(c.IntervalNs) {
			t.Errorf("%s: retry after %v, want %v", c.Name, d.RetryAfter, time.Duration(c.IntervalNs))
		}
		l.Close()
	}
	if replayed < 17 {
		t.Fatalf("replayed %d cases of %d", replayed, len(file.Cases))
	}
}

func TestLimiterUnitErrorsQuoteTheValueGiven(t *testing.T) {
	for _, c := range []struct {
		rate  float64
		burst int
		per   time.Duration
		want  string
	}{
		{math.NaN(), 1, time.Second, "weir: rate must be a finite number > 0, got NaN"},
		{1, -5, time.Second, "weir: burst must be a whole number from 1 to 2^53, got -5"},
		{1, 1, -time.Second, "weir: per must be a duration of at least 1 ns, got -1s"},
	} {
		_, err := NewLimiter(c.rate, c.burst, Per(c.per))
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
}
