# GradeVault Desktop. `make run` and `make test` install what is missing.

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)

GO       ?= go
BIN      := bin/gradevault
VERSION  := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
LDFLAGS  := -X main.version=$(VERSION)
# Debian/Ubuntu packages needed to build, test and see the window headless.
DEBS     := libopencv-dev libgl1-mesa-dev xorg-dev pkg-config gcc g++ \
            xvfb xauth imagemagick ffmpeg poppler-utils postgresql
FYNE_CLI_VERSION := v1.7.4
FYNE_CLI := fyne.io/tools/cmd/fyne@$(FYNE_CLI_VERSION)
# Where `go install` puts the fyne CLI (GOBIN, else GOPATH/bin); for recipes.
FYNE     = $$(d=$$($(GO) env GOBIN); echo $${d:-$$($(GO) env GOPATH)/bin})/fyne
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Extra packages `make package` needs: xz for the tar.xz, python3 to check
# the packaged binary's result.json.
PACKAGE_DEBS := xz-utils python3
# Debian 12 packages a user needs to run the Linux package: the shared
# libraries gradevault links (checked by scripts/package-check.sh) plus the
# X libraries GLFW loads at run time. The README lists the same.
RUNTIME_DEBS := libopencv-core406 libopencv-imgproc406 libopencv-imgcodecs406 \
                libopencv-videoio406 libopencv-video406 libopencv-features2d406 \
                libopencv-calib3d406 libopencv-objdetect406 libopencv-photo406 \
                libopencv-dnn406 libopencv-highgui406 libgl1 libx11-6 libxcursor1 \
                libxrandr2 libxinerama1 libxi6 libxxf86vm1 libstdc++6 libgcc-s1 libc6
LINUX_PKG = dist/GradeVault-$(VERSION)-linux-$$($(GO) env GOARCH).tar.xz

.PHONY: deps build worker run test bench screenshots sample package package-windows package-darwin fyne-cli clean \
        opencv-current opencv-windows test-current-opencv wine-check

# apt_install: install the Debian packages in $(1) that are missing. Where
# there is no apt-get (macOS, MSYS2) it says what it skipped and goes on.
define apt_install
	@if ! command -v apt-get >/dev/null; then \
	  echo "no apt-get here: skipping $(strip $(1)); install OpenCV 4.6, pkg-config and a C/C++ compiler yourself (README)"; \
	else \
	  missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	  fi; \
	fi
endef

## deps: install the system packages that are missing (idempotent)
deps:
	$(call apt_install,$(DEBS))
	@command -v $(GO) >/dev/null || { echo "Go 1.26 is needed: https://go.dev/dl/"; exit 1; }

## build: compile bin/gradevault
build: deps
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) .

## worker: compile bin/gradevault-worker, the headless server worker (no GUI)
worker: deps
	$(GO) build -ldflags '-X main.version=$(VERSION)' -o bin/gradevault-worker ./cmd/gradevault-worker

## run: build and open the window
run: build
	./$(BIN)

## test: vet, run every test with the race detector, then prove no gocv Mat leaks
test: deps
	$(GO) vet ./...
	$(GO) test -race -timeout 30m ./...
	$(GO) test -tags matprofile -run NoMatLeak -timeout 10m ./engine/analysis ./engine/fastpng ./engine/glint ./engine/scan ./engine/synth ./engine/centering ./engine/report

## bench: speed and memory benchmarks (1080p and 4K videos are generated)
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x -timeout 60m ./...

## screenshots: run the real window under Xvfb on the sample and save PNGs of each screen and dialog
screenshots: deps
	$(GO) build -tags tour -ldflags '$(LDFLAGS)' -o bin/gradevault-tour .
	./scripts/screenshots.sh bin/gradevault-tour screenshots

## sample: regenerate the bundled sample video
sample:
	$(GO) run ./engine/synth/gensample -out assets/sample.mp4

## fyne-cli: install the pinned fyne CLI into GOBIN if it is missing or another version
fyne-cli:
	@"$(FYNE)" version 2>/dev/null | grep -q 'cli version: $(FYNE_CLI_VERSION)$$' || \
	  { echo "installing $(FYNE_CLI)"; $(GO) install $(FYNE_CLI); }

## package: Linux package dist/GradeVault-V-linux-ARCH.tar.xz, installed into a temp dir and run
package: deps fyne-cli
	$(call apt_install,$(PACKAGE_DEBS))
	FYNE="$(FYNE)" GO=$(GO) ./scripts/package.sh linux
	RUNTIME_DEBS="$(RUNTIME_DEBS)" ./scripts/package-check.sh $(LINUX_PKG)
	@ls -l dist/GradeVault-$(VERSION)-linux-*.tar.xz

## opencv-current: build OpenCV 4.10 for Linux into ~/.cache/gradevault/opencv-4.10 (long, cached)
opencv-current:
	./scripts/opencv-build.sh linux

## opencv-windows: cross-build FFmpeg, libpng and OpenCV 4.10 (static) for windows/amd64 (long, cached)
opencv-windows:
	./scripts/opencv-build.sh windows

## test-current-opencv: go vet + engine/cli tests with gocv v0.39.0 on OpenCV 4.10 (not part of `make test`)
test-current-opencv: opencv-current
	GO=$(GO) ./scripts/current-opencv.sh

## package-windows: dist/GradeVault-V-windows-amd64.zip, cross-built with mingw-w64 on OpenCV 4.10
# On Linux without OPENCV_WIN_DIR, OpenCV (and FFmpeg) are cross-built first
# (cached); in MSYS2, OPENCV_WIN_DIR=/mingw64.
package-windows:
	@if [ -z "$(OPENCV_WIN_DIR)" ] && [ "$$(uname -s)" = Linux ]; then ./scripts/opencv-build.sh windows; fi
	@OPENCV_WIN_DIR="$(or $(OPENCV_WIN_DIR),$(shell ./scripts/opencv-build.sh prefix windows))" ./scripts/package.sh check windows
	@$(MAKE) --no-print-directory fyne-cli
	OPENCV_WIN_DIR="$(or $(OPENCV_WIN_DIR),$(shell ./scripts/opencv-build.sh prefix windows))" \
	  FYNE="$(FYNE)" GO=$(GO) ./scripts/package.sh windows

## wine-check: run the Windows zip's exe under Wine: --version, analyze on the sample (same picks as Linux), window screenshot
wine-check:
	$(call apt_install,wine wine64 xvfb xauth imagemagick gcc-mingw-w64-x86-64 python3)
	./scripts/wine-check.sh dist/GradeVault-$(VERSION)-windows-amd64.zip

## package-darwin: dist/GradeVault.app (+ zip) on macOS with Homebrew's OpenCV
package-darwin:
	@./scripts/package.sh check darwin
	@$(MAKE) --no-print-directory fyne-cli
	FYNE="$(FYNE)" GO=$(GO) ./scripts/package.sh darwin

clean:
	rm -rf bin dist screenshots
