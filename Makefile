# GradeVault Desktop. `make run` and `make test` install what is missing.

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)

GO       ?= go
BIN      := bin/gradevault
VERSION  := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
LDFLAGS  := -X main.version=$(VERSION)
# Debian/Ubuntu packages needed to build, test and see the window headless.
DEBS     := libopencv-dev libgl1-mesa-dev xorg-dev pkg-config gcc g++ \
            xvfb xauth imagemagick ffmpeg
FYNE_CLI := fyne.io/tools/cmd/fyne@v1.7.4
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build run test bench screenshots sample package package-windows package-darwin clean

## deps: install the system packages that are missing (idempotent)
deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go 1.26 is needed: https://go.dev/dl/"; exit 1; }

## build: compile bin/gradevault
build: deps
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) .

## run: build and open the window
run: build
	./$(BIN)

## test: vet and run every test with the race detector
test: deps
	$(GO) vet ./...
	$(GO) test -race -timeout 20m ./...

## bench: speed and memory benchmarks (1080p and 4K videos are generated)
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x -timeout 60m ./engine/...

## screenshots: run the real window under Xvfb on the sample and save PNGs of each screen
screenshots: build
	./scripts/screenshots.sh $(BIN) screenshots

## sample: regenerate the bundled sample video
sample:
	$(GO) run ./engine/synth/gensample -out assets/sample.mp4

clean:
	rm -rf bin dist screenshots
