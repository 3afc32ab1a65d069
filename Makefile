# The two commands of the README: `make run` and `make test`. Both work from a
# fresh clone with only Go and the PostgreSQL server binaries installed: when
# HOSO_DATABASE_URL / HOSO_TEST_DATABASE_URL are unset they start a private
# cluster under var/ (see internal/devdb).
GO      ?= go
HOSO    := bin/hoso

.PHONY: run test test-deps build loadgen vet bench fuzz stop-db clean

# Outside programs the tests drive, as command:Debian-package. make test
# installs what is missing (apt-get, as root or through sudo) rather than
# letting a test skip: a skipped check is a defect. Add a line here when a
# test needs a new program.
TEST_TOOLS := \
	softhsm2-util:softhsm2 \
	pkcs11-tool:opensc \
	chromium:chromium \
	pdftotext:poppler-utils \
	pdffonts:poppler-utils \
	pdftoppm:poppler-utils \
	pdfsig:poppler-utils \
	pdfinfo:poppler-utils \
	sha256sum:coreutils \
	openssl:openssl

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
test-deps:
	@missing=""; for t in $(TEST_TOOLS); do \
		command -v "$${t%%:*}" >/dev/null 2>&1 || case " $$missing " in *" $${t#*:} "*) ;; *) missing="$$missing $${t#*:}";; esac; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make test: installing$$missing"; \
		if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
		else echo "make test needs$$missing: apt-get install$$missing" >&2; exit 1; fi; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends$$missing >/dev/null || exit 1; \
	fi

test: build test-deps
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
