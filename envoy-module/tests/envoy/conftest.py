# The wasm filter's harness (Envoy processes, upstreams, wrk) is shared;
# `module` puts it on the path and points Envoy at the module build.
import module  # noqa: F401
