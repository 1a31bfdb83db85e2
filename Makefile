# The two commands of the README. Everything else is reached through them.
.PHONY: demo test bench fmt lint
demo:
	ci/demo.sh
test:
	ci/test.sh
bench:
	ci/bench.sh
fmt:
	cargo fmt --all
