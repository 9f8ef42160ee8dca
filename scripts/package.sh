#!/usr/bin/env bash
# package.sh TARGET: build a GradeVault desktop package into dist/.
#
#   package.sh linux          dist/GradeVault-V-linux-ARCH.tar.xz (fyne's layout)
#   package.sh windows        dist/GradeVault-V-windows-amd64.zip (exe + DLLs)
#   package.sh darwin         dist/GradeVault-V-darwin-ARCH.zip (GradeVault.app)
#   package.sh check windows|darwin
#                             only check the prerequisites, one line if missing
#
# The fyne CLI ($FYNE, pinned by the Makefile) lays out every package. It
# always rewrites FyneApp.toml (Build+1) after packaging, and on Windows it
# drops a fyne.syso next to main.go and rebuilds, so it only ever runs on a
# throw-away copy: the work tree is never touched. On Linux and macOS the
# binary is built here with the same compiler flags as `make build` (so the
# build cache is shared) plus -s -w and the `release` tag, and handed to
# `fyne package --exe`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

GO=${GO:-go}
FYNE=${FYNE:-fyne}
VERSION=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
NAME=$(sed -n 's/^Name *= *"\(.*\)"/\1/p' FyneApp.toml)
EXE=gradevault
DIST=$ROOT/dist
LDFLAGS="-s -w -X main.version=$VERSION"

die() { echo "package: $*" >&2; exit 2; }
[ -n "$VERSION" ] && [ -n "$NAME" ] || die "FyneApp.toml has no Name or Version"

# Prerequisites, one clear line each when missing.
check_windows() {
  [ -n "${OPENCV_WIN_DIR:-}" ] ||
    die "package-windows needs OpenCV 4.10+ built for mingw-w64: on Linux \`make package-windows\` cross-builds it (scripts/opencv-build.sh windows); otherwise set OPENCV_WIN_DIR to its prefix (include/opencv4, lib/pkgconfig/opencv4.pc), e.g. OPENCV_WIN_DIR=/mingw64 in MSYS2; see README 'Packages'"
  [ -d "$OPENCV_WIN_DIR" ] || die "OPENCV_WIN_DIR=$OPENCV_WIN_DIR is not a directory (on Linux: scripts/opencv-build.sh windows builds it)"
  opencv_pc=$(find "$OPENCV_WIN_DIR" -name opencv4.pc -path '*pkgconfig*' 2>/dev/null | head -1)
  [ -n "$opencv_pc" ] ||
    die "no opencv4.pc under OPENCV_WIN_DIR=$OPENCV_WIN_DIR (build OpenCV with -DOPENCV_GENERATE_PKGCONFIG=ON, or use MSYS2's mingw-w64-x86_64-opencv)"
  case "$(uname -s)" in
    Linux | MINGW* | MSYS*) ;;
    *) die "package-windows runs on Linux (cross, mingw-w64) or in MSYS2 on Windows, not on $(uname -s)" ;;
  esac
}
check_darwin() {
  [ "$(uname -s)" = Darwin ] ||
    die "package-darwin runs only on macOS (Xcode command line tools, then: brew install go opencv pkg-config); this host is $(uname -s)"
  command -v pkg-config >/dev/null && pkg-config --exists opencv4 ||
    die "OpenCV is not visible to pkg-config: brew install opencv pkg-config"
}

# A throw-away folder with FyneApp.toml, the icon and a stub Go file: what
# `fyne package --exe` needs as its source folder, and where it may bump Build.
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
stage_metadata() {
  mkdir -p "$STAGE/meta/assets"
  cp FyneApp.toml "$STAGE/meta/"
  cp assets/icon.png "$STAGE/meta/assets/"
  echo 'package main' >"$STAGE/meta/stub.go"
}

package_linux() {
  local arch out
  arch=$($GO env GOARCH)
  out="$DIST/$NAME-$VERSION-linux-$arch.tar.xz"
  echo "building $EXE $VERSION (release, linux/$arch)"
  $GO build -tags release -ldflags "$LDFLAGS" -o "$STAGE/bin/$EXE" .
  stage_metadata
  (cd "$STAGE/meta" && "$FYNE" package -os linux -release --exe "$STAGE/bin/$EXE")
  mkdir -p "$DIST"
  mv "$STAGE/meta/$NAME.tar.xz" "$out"
  echo "wrote ${out#"$ROOT"/}"
}

package_darwin() {
  check_darwin
  local arch out
  arch=$($GO env GOARCH)
  out="$DIST/$NAME-$VERSION-darwin-$arch.zip"
  # Homebrew's OpenCV is 4.10 or newer: gocv is switched to the release made
  # for it on a copy of go.mod, as `make test-current-opencv` does.
  local ocv
  ocv=$(pkg-config --modversion opencv4)
  GO=$GO ./scripts/current-opencv.sh --modfile-only "$STAGE/mod" "$ocv" >/dev/null
  echo "building $EXE $VERSION (release, darwin/$arch, OpenCV $ocv, $(grep -o 'gocv.io/x/gocv v[^ ]*' "$STAGE/mod/go.current.mod"))"
  $GO build -modfile="$STAGE/mod/go.current.mod" -tags release -ldflags "$LDFLAGS" -o "$STAGE/bin/$EXE" .
  stage_metadata
  (cd "$STAGE/meta" && "$FYNE" package -os darwin -release --exe "$STAGE/bin/$EXE")
  "$STAGE/meta/$NAME.app/Contents/MacOS/$EXE" --version
  mkdir -p "$DIST"
  rm -rf "${DIST:?}/$NAME.app" "$out"
  cp -R "$STAGE/meta/$NAME.app" "$DIST/"
  (cd "$DIST" && ditto -c -k --keepParent "$NAME.app" "$(basename "$out")")
  echo "wrote dist/$NAME.app and ${out#"$ROOT"/} (links Homebrew's OpenCV $ocv: users need brew install opencv)"
}

# bundle_dlls OBJDUMP EXE DEST DIR...: copy every DLL that EXE needs,
# transitively, from DIR... into DEST; DLLs found nowhere are Windows' own.
bundle_dlls() {
  local objdump=$1 exe=$2 dest=$3
  shift 3
  local queue=("$exe") seen=" " system="" f dll key found
  while [ ${#queue[@]} -gt 0 ]; do
    f=${queue[0]}
    queue=("${queue[@]:1}")
    for dll in $("$objdump" -p "$f" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr -d '\r'); do
      key=$(echo "$dll" | tr '[:upper:]' '[:lower:]')
      case "$seen" in *" $key "*) continue ;; esac
      seen="$seen$key "
      found=$(find "$@" -maxdepth 1 -iname "$dll" -print -quit 2>/dev/null || true)
      if [ -n "$found" ]; then
        cp "$found" "$dest/"
        queue+=("$found")
      else
        system="$system $dll"
      fi
    done
  done
  echo "bundled $(find "$dest" -maxdepth 1 -iname '*.dll' | wc -l) DLLs; left to Windows:$system"
}

package_windows() {
  check_windows
  local cc cxx objdump pcdir dlldirs=() out="$DIST/$NAME-$VERSION-windows-amd64.zip"
  pcdir=$(dirname "$opencv_pc")
  case "$(uname -s)" in
    Linux)
      # Debian/Ubuntu cross compilers; the posix thread model matches
      # MSYS2's (and most) mingw-w64 OpenCV builds.
      local debs="gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 zip" missing="" p
      for p in $debs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
      done
      if [ -n "$missing" ]; then
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo=sudo
        echo "installing:$missing"
        $sudo apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
      fi
      cc=x86_64-w64-mingw32-gcc-posix cxx=x86_64-w64-mingw32-g++-posix objdump=x86_64-w64-mingw32-objdump
      # opencv4.pc names its build prefix; --define-prefix relocates it
      # here. --static: scripts/opencv-build.sh builds static libraries,
      # and its FFmpeg and libpng (under deps/) are linked in too.
      printf '#!/bin/sh\nexec pkg-config --define-prefix --static "$@"\n' >"$STAGE/pkg-config"
      chmod +x "$STAGE/pkg-config"
      export PKG_CONFIG="$STAGE/pkg-config" PKG_CONFIG_PATH=""
      PKG_CONFIG_LIBDIR="$pcdir"
      [ -d "$OPENCV_WIN_DIR/deps/lib/pkgconfig" ] && PKG_CONFIG_LIBDIR="$PKG_CONFIG_LIBDIR:$OPENCV_WIN_DIR/deps/lib/pkgconfig"
      export PKG_CONFIG_LIBDIR
      dlldirs=("$OPENCV_WIN_DIR/bin" "$pcdir/../../bin"
        "$(dirname "$($cxx -print-file-name=libstdc++-6.dll)")"
        "$(dirname "$($cc -print-file-name=libgcc_s_seh-1.dll)")"
        /usr/x86_64-w64-mingw32/lib)
      ;;
    *) # MSYS2 MINGW64 shell on Windows: native compilers and pkg-config
      cc=gcc cxx=g++ objdump=objdump
      export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
      dlldirs=("$OPENCV_WIN_DIR/bin" "$pcdir/../../bin")
      ;;
  esac
  local pc=${PKG_CONFIG:-pkg-config} opencv_version
  # gocv's own Windows flags name C:/opencv and contrib modules: customenv
  # turns them off and takes the flags from opencv4.pc instead.
  CGO_CPPFLAGS="$($pc --cflags opencv4)"
  CGO_LDFLAGS="$($pc --libs opencv4)"
  # A static OpenCV with FFmpeg: FFmpeg's own libraries and the Windows
  # ones they need (bcrypt, ...) come from FFmpeg's .pc files.
  if $pc --exists libavformat 2>/dev/null; then
    CGO_LDFLAGS="$CGO_LDFLAGS $($pc --libs libavformat libavcodec libswscale libavutil)"
  fi
  opencv_version=$($pc --modversion opencv4)
  export CGO_CPPFLAGS CGO_LDFLAGS CC="$cc" CXX="$cxx" GOOS=windows GOARCH=amd64 CGO_ENABLED=1
  # fyne builds here itself (it must, to link the icon and version resource),
  # so it gets a copy of the sources; -X reaches it through GOFLAGS.
  mkdir -p "$STAGE/src"
  tar -C "$ROOT" --exclude=./.git --exclude=./bin --exclude=./dist --exclude=./screenshots -cf - . |
    tar -C "$STAGE/src" -xf -
  # OpenCV 4.10+ needs the gocv release made for it: the copy's go.mod is
  # switched the way `make test-current-opencv` switches it.
  GO=$GO ./scripts/current-opencv.sh --modfile-only "$STAGE/mod" "$opencv_version" >/dev/null
  cp "$STAGE/mod/go.current.mod" "$STAGE/src/go.mod"
  cp "$STAGE/mod/go.current.sum" "$STAGE/src/go.sum"
  echo "building $NAME.exe $VERSION (release, windows/amd64, $cc, OpenCV $opencv_version, $(grep -o 'gocv.io/x/gocv v[^ ]*' "$STAGE/src/go.mod"))"
  (cd "$STAGE/src" && GOFLAGS="${GOFLAGS:-} -ldflags=-X=main.version=$VERSION" \
    "$FYNE" package -os windows -release --tags customenv)
  mkdir -p "$STAGE/zip/$NAME"
  mv "$STAGE/src/$NAME.exe" "$STAGE/zip/$NAME/"
  bundle_dlls "$objdump" "$STAGE/zip/$NAME/$NAME.exe" "$STAGE/zip/$NAME" "${dlldirs[@]}"
  mkdir -p "$DIST"
  rm -f "$out"
  if command -v zip >/dev/null; then
    (cd "$STAGE/zip" && zip -qr "$out" "$NAME")
  else
    (cd "$STAGE/zip" && python3 -m zipfile -c "$out" "$NAME")
  fi
  echo "wrote ${out#"$ROOT"/}"
}

case "${1:-}" in
  linux) package_linux ;;
  windows) package_windows ;;
  darwin) package_darwin ;;
  check)
    case "${2:-}" in
      windows) check_windows ;;
      darwin) check_darwin ;;
      *) die "usage: package.sh check windows|darwin" ;;
    esac
    ;;
  *) die "usage: package.sh linux|windows|darwin|check windows|darwin" ;;
esac
