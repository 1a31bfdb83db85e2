module github.com/weir-rs/weir/examples/go/otel

go 1.26.0

require (
	github.com/weir-rs/weir/bindings/go v0.0.0
	github.com/weir-rs/weir/bindings/go/weirotel v0.0.0
	go.opentelemetry.io/otel/sdk/metric v1.47.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/sdk v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

replace (
	github.com/weir-rs/weir/bindings/go => ../../../bindings/go
	github.com/weir-rs/weir/bindings/go/weirotel => ../../../bindings/go/weirotel
)
