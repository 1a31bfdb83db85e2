# The two commands of the README. Everything else is reached through them.
.PHONY: demo test bench fmt lint dist install
demo:
	ci/demo.sh
test:
	ci/test.sh
bench:
	ci/bench.sh
fmt:
	cargo fmt --all
# Every release artifact, for every platform, into dist/ (ci/dist.sh says what).
dist:
	ci/dist.sh
# The C library (header, libweir.a, libweir.so, weir.pc) under PREFIX, built here.
PREFIX ?= /usr/local
install:
	ci/dist/install.sh "$(DESTDIR)$(PREFIX)"
