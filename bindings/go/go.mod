module github.com/weir-rs/weir/bindings/go

go 1.26.0
