# zoufang: `make run` and `make test` are all a fresh Debian machine with Go needs.
GO      ?= go
BIN     ?= bin
DEMO    ?= $(CURDIR)/.demo-data
PKGS    := ./...
# no_emoji leaves Fyne's 4 MB colour emoji font out: Fyne parses it once per
# text style, about 8 MB of heap for glyphs the forms never show (an emoji a
# worker types still draws from a system font). See docs/benchmarks.md.
TAGS    ?= no_emoji
GOBUILD := $(GO) build -tags '$(TAGS)'

.PHONY: run test test-race bench build server windows windows-check deps-build deps-test vet fmt-check clean

run: deps-build
	@if [ -z "$$DISPLAY" ]; then echo "没有图形显示 (DISPLAY 未设置)，在 Xvfb 中启动"; \
		scripts/install-deps.sh test; scripts/with-display.sh $(GO) run -tags '$(TAGS)' . --demo --data "$(DEMO)"; \
	else $(GO) run -tags '$(TAGS)' . --demo --data "$(DEMO)"; fi

# Every package under the race detector (the GUI tests too: they hand UI
# work to the test goroutine, see app/bridge_test.go), plus the one-file
# boot module main imports.
test: deps-test fmt-check vet
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/zoufang-server
	scripts/with-display.sh $(GO) test -race -tags '$(TAGS)' -count=1 -timeout 30m $(PKGS)
	cd boot && $(GO) test -count=1 ./...

bench: deps-test
	scripts/with-display.sh $(GO) test -tags '$(TAGS)' -run '^$$' -bench . -benchmem -timeout 30m $(PKGS)

build: deps-build
	mkdir -p $(BIN)
	$(GOBUILD) -trimpath -o $(BIN)/zoufang .
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/zoufang-server ./cmd/zoufang-server

server:
	mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/zoufang-server ./cmd/zoufang-server

windows:
	@scripts/install-deps.sh windows
	mkdir -p $(BIN)
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
		$(GOBUILD) -trimpath -ldflags "-s -w -H windowsgui" -o $(BIN)/zoufang.exe .
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -trimpath -o $(BIN)/zoufang-server.exe ./cmd/zoufang-server
	@ls -l $(BIN)/zoufang.exe $(BIN)/zoufang-server.exe

# Runs bin/zoufang.exe under Wine and Xvfb (not on Windows): every page in
# screenshot mode, then demo, print and export; output in docs/windows/.
windows-check: windows
	@scripts/install-deps.sh windows-check
	scripts/windows-check.sh

deps-build:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

vet:
	$(GO) vet -tags '$(TAGS)' $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf $(BIN) $(DEMO)
