# Atrium: the two commands are `make run` and `make test`; the rest supports them.
GO      ?= go
BIN     := bin/atrium
PKGS    := ./...
# Generated files (gqlgen, templ) whose freshness CI checks.
GENERATED = $(shell find graph web -name '*.go' 2>/dev/null | sort)

.PHONY: all run build test test-short lint vet fmt-check generate check-generated \
        deps-postgres deps-chromium bench load load-orders clean

all: build

## run: build and serve with demo data on a private PostgreSQL (or DATABASE_URL)
run: deps-postgres build
	ATRIUM_DEMO=1 ./$(BIN) serve

## build: compile the server into bin/atrium
build:
	$(GO) build -o $(BIN) .

## test: lint, generated-code freshness, and every test with -race on a throwaway PostgreSQL
test: deps-postgres deps-chromium lint check-generated
	$(GO) run ./tools/pgtemp -- $(GO) test -race -count=1 -timeout 15m $(PKGS)

## test-short: the tests without lint and -race (quicker while developing)
test-short: deps-postgres
	$(GO) run ./tools/pgtemp -- $(GO) test -count=1 $(PKGS)

## lint: go vet and a gofmt check
lint: vet fmt-check
vet:
	$(GO) vet $(PKGS)
fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted (run gofmt -w):"; echo "$$out"; exit 1; fi

## generate: regenerate the GraphQL server (gqlgen) and the templates (templ)
generate:
	$(GO) tool gqlgen generate
	$(GO) tool templ generate -log-level warn -path web

## check-generated: fail when generated code differs from what its sources produce
check-generated:
	@before=$$(sha256sum $(GENERATED) | sha256sum); \
	$(MAKE) --no-print-directory generate >/dev/null; \
	after=$$(find graph web -name '*.go' | sort | xargs sha256sum | sha256sum); \
	if [ "$$before" != "$$after" ]; then \
	  echo "generated code was stale; it has now been regenerated: review and commit it"; exit 1; fi

## bench: the Go benchmarks (catalog page, order path, start-up)
bench: deps-postgres
	$(GO) run ./tools/pgtemp -- $(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## load: the HTTP load generator against a running server (make run in another terminal)
load:
	$(GO) run ./tools/loadgen -url http://127.0.0.1:8080/graphql

## load-orders: placeOrder at 16 clients for 20 s, then 200 shoppers racing for 5 units (make run first)
load-orders:
	$(GO) run ./tools/loadgen -scenario order -c 16 -d 20s -skus 16 -url http://127.0.0.1:8080/graphql
	$(GO) run ./tools/loadgen -scenario oversell -units 5 -shoppers 200 -url http://127.0.0.1:8080/graphql

## deps-postgres: install PostgreSQL's server binaries when missing (Debian/Ubuntu apt-get)
deps-postgres:
	@if command -v initdb >/dev/null 2>&1 || [ -x "$$(pg_config --bindir 2>/dev/null)/initdb" ] \
	    || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	    echo "installing PostgreSQL server binaries (apt-get install postgresql)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql postgresql-contrib; \
	else echo "PostgreSQL server binaries are missing: install the PostgreSQL 15+ server (initdb, postgres) with contrib, or set DATABASE_URL"; exit 1; fi

## deps-chromium: install Chromium for the browser tests when missing
deps-chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Chromium for the browser tests (apt-get install chromium)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	else echo "Chromium is missing: install chromium for the browser tests"; exit 1; fi

clean:
	rm -rf bin
