# balrog — build, run and test. `make run` serves on the embedded SQLite
# default; `make test` runs every test (set BALROG_TEST_MYSQL to include MySQL).

GO       ?= go
BIN      ?= bin/balrog
PKG      := github.com/balrog-go/balrog/app
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)
BUILD    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X $(PKG).version=$(VERSION) -X $(PKG).commit=$(COMMIT) -X $(PKG).build=$(BUILD)
IMAGE    ?= localhost/balrog:$(VERSION)

export CGO_ENABLED=0

.PHONY: build run test lint bench bench-go bench-load image clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

run: build
	./$(BIN) serve --role=all --auth=dev --log-format=text

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# bench: the go test benchmarks, then the load benchmark against nginx
# (bench/run.sh: production-size data set in MariaDB, wrk on 127.0.0.1;
# BENCH_DB, BENCH_DURATION, ... as documented there). Results: bench/results/.
bench: bench-go bench-load

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./rules/... ./blobs/... ./public/...
	$(GO) test -run '^$$' -bench 'BenchmarkListener' -benchmem ./app/

bench-load:
	timeout 1800 ./bench/run.sh

image: build
	./scripts/build-image.sh $(BIN) $(IMAGE) '$(VERSION)' '$(COMMIT)' '$(BUILD)'

clean:
	rm -rf bin
