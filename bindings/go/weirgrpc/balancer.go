package weirgrpc

import (
	"strconv"

	weir "github.com/weir-rs/weir/bindings/go"
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/base"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// BalancerName is the gRPC load balancing policy that picks among a
// ClientConn's ready sub-connections (one per resolved address) by power of
// two choices (weir.Picker), learning from each call's latency, its code
// (DefaultPickFailureCodes count against a backend) and the x-weir-cpu a
// backend reports in its trailer. Importing weirgrpc registers it; a
// ClientConn selects it by service config:
//
//	grpc.NewClient("dns:///service.internal:50051",
//		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig": [{"weir_p2c": {}}]}`), ...)
//
// What the picker learned starts over when the set of ready
// sub-connections changes (gRPC builds a new picker then). Pool is the
// alternative with one ClientConn per backend, whose learning persists.
const BalancerName = "weir_p2c"

func init() {
	balancer.Register(base.NewBalancerBuilder(BalancerName, p2cBuilder{}, base.Config{HealthCheck: true}))
}

type p2cBuilder struct{}

func (p2cBuilder) Build(info base.PickerBuildInfo) balancer.Picker {
	if len(info.ReadySCs) == 0 {
		return base.NewErrPicker(balancer.ErrNoSubConnAvailable)
	}
	picker, err := weir.NewPicker(len(info.ReadySCs))
	if err != nil {
		return base.NewErrPicker(status.Errorf(codes.Internal, "weirgrpc: a picker for %d sub-connections: %v", len(info.ReadySCs), err))
	}
	p := &p2cPicker{picker: picker, failures: setOf(DefaultPickFailureCodes), subConns: make(map[int]balancer.SubConn, len(info.ReadySCs))}
	var id uint64
	for sc := range info.ReadySCs {
		index, err := picker.Add(id)
		if err != nil {
			return base.NewErrPicker(status.Errorf(codes.Internal, "weirgrpc: adding a sub-connection to the picker: %v", err))
		}
		p.subConns[index] = sc
		id++
	}
	return p
}

// p2cPicker is read-only after Build: gRPC may call Pick concurrently.
type p2cPicker struct {
	picker   *weir.Picker
	failures codeSet
	subConns map[int]balancer.SubConn
}

func (p *p2cPicker) Pick(balancer.PickInfo) (balancer.PickResult, error) {
	pick, err := p.picker.Pick()
	if err != nil {
		return balancer.PickResult{}, status.Error(codes.Unavailable, "weirgrpc: no backend is up")
	}
	return balancer.PickResult{SubConn: p.subConns[pick.Index], Done: func(done balancer.DoneInfo) {
		err := done.Err
		if !p.failures.has(status.Code(err)) {
			err = nil
		}
		cpu := -1
		if value := done.Trailer.Get(CPUKey); len(value) > 0 {
			if n, perr := strconv.Atoi(value[0]); perr == nil && n >= 0 {
				cpu = n
			}
		}
		pick.DoneWithCPU(err, cpu)
	}}, nil
}
