# The two commands of the README: `make run` and `make test`. Both work from a
# fresh clone with only Go and the PostgreSQL server binaries installed: when
# HOSO_DATABASE_URL / HOSO_TEST_DATABASE_URL are unset they start a private
# cluster under var/ (see internal/devdb).
GO      ?= go
HOSO    := bin/hoso

.PHONY: run test build loadgen vet bench fuzz stop-db clean

build:
	$(GO) build -o $(HOSO) ./cmd/hoso

# The HTTP load benchmark (docs/benchmarks.md), a command of its own.
loadgen:
	$(GO) build -o bin/hoso-loadgen ./cmd/hoso-loadgen

run: build
	./$(HOSO) dev

# The whole suite, race detector on, against real PostgreSQL, after go vet
# and staticcheck (a tool of go.mod: `go tool staticcheck`). Tests mostly
# wait on PostgreSQL, so -parallel 4 runs twice GOMAXPROCS of a 2-core
# machine at once (the api package, one run each on a shared machine:
# 59 s → 27 s); each test's pool holds at most pgtest.MaxConns connections.
test: build
	@url="$${HOSO_TEST_DATABASE_URL:-$$(./$(HOSO) devdb url hoso_test)}" || exit 1; \
	test -n "$$url" || exit 1; \
	$(GO) vet ./... && \
	$(GO) tool staticcheck ./... && \
	HOSO_TEST_DATABASE_URL="$$url" $(GO) test -race -count=1 -parallel 4 -timeout 20m ./...

vet:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# Benchmarks with their raw-PostgreSQL baselines; figures go to docs/benchmarks.md.
bench: build
	@url="$${HOSO_TEST_DATABASE_URL:-$$(./$(HOSO) devdb url hoso_test)}" || exit 1; \
	HOSO_TEST_DATABASE_URL="$$url" $(GO) test -run '^$$' -bench . -benchmem -count 5 ./eventstore/bench/

stop-db: build
	./$(HOSO) devdb stop

clean: stop-db
	rm -rf var bin
