# zoufang: `make run` and `make test` are all a fresh Debian machine with Go needs.
GO      ?= go
BIN     ?= bin
DEMO    ?= $(CURDIR)/.demo-data
PKGS    := ./...

.PHONY: run test bench build server windows deps-build deps-test vet fmt-check clean

run: deps-build
	@if [ -z "$$DISPLAY" ]; then echo "没有图形显示 (DISPLAY 未设置)，在 Xvfb 中启动"; \
		scripts/install-deps.sh test; scripts/with-display.sh $(GO) run . --demo --data "$(DEMO)"; \
	else $(GO) run . --demo --data "$(DEMO)"; fi

test: deps-test fmt-check vet
	CGO_ENABLED=0 $(GO) build ./cmd/zoufang-server
	scripts/with-display.sh $(GO) test -count=1 -timeout 20m $(PKGS)

bench: deps-test
	scripts/with-display.sh $(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(PKGS)

build: deps-build
	mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/zoufang .
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/zoufang-server ./cmd/zoufang-server

server:
	mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/zoufang-server ./cmd/zoufang-server

windows:
	scripts/install-deps.sh windows
	mkdir -p $(BIN)
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
		$(GO) build -trimpath -ldflags "-s -w -H windowsgui" -o $(BIN)/zoufang.exe .
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -trimpath -o $(BIN)/zoufang-server.exe ./cmd/zoufang-server
	@ls -l $(BIN)/zoufang.exe $(BIN)/zoufang-server.exe

deps-build:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf $(BIN) $(DEMO)
