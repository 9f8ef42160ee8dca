#!/usr/bin/env bash
# opencv-build.sh TARGET: build the "current" OpenCV stack (4.10) that
# GradeVault is tested against besides Debian 12's OpenCV 4.6, cached outside
# the repository so that a rerun only does what is missing.
#
#   opencv-build.sh linux     OpenCV 4.10, shared, system FFmpeg 5.1
#                             -> $CACHE/opencv-4.10 (lib/pkgconfig/opencv4.pc)
#   opencv-build.sh windows   mingw-w64 cross-build for windows/amd64, static:
#                             FFmpeg (h264/hevc, mp4/mov/matroska only),
#                             libpng, then OpenCV
#                             -> $CACHE/opencv-4.10-mingw (lib/pkgconfig/opencv4.pc)
#   opencv-build.sh source    only fetch and unpack the sources
#   opencv-build.sh prefix linux|windows
#                             print the install prefix (for the Makefile)
#
# Sources come from Debian's source packages through a private, source-only
# apt configuration under $CACHE/apt (the system's apt sources are not
# touched; no binary package of another release is ever installed): OpenCV
# 4.10.0 from trixie, FFmpeg and libpng from bookworm (the same FFmpeg 5.1
# the Linux builds decode with). Debian's OpenCV tarball has no 3rdparty/
# folder, so every bundled library OpenCV could build is either taken from
# the system (Linux), cross-built here (Windows: FFmpeg, libpng; zlib is
# Debian's libz-mingw-w64-dev) or switched off.
#
# Modules: the ones gocv's main package compiles against (core, imgproc,
# imgcodecs, videoio, highgui, video, calib3d, features2d, flann, objdetect,
# photo, dnn). No IPP, OpenCL, TBB, protobuf, GUI toolkit, TIFF/WebP/JPEG2000/
# EXR; CPU_DISPATCH is empty (baseline SSE3 only) to keep the build short
# on a shared machine: set OPENCV_CPU_DISPATCH=AVX2 (or "SSE4_1;AVX2") for a
# faster library.
#
# Optimisation: a compiler launcher replaces OpenCV's -O3 with $OPENCV_OPT
# (default -O1) and compiles the dnn module with $OPENCV_DNN_OPT (default
# -O0): gocv's main package wraps dnn, so it must be built and linked, but
# GradeVault never calls it. On 2 shared cores this roughly halves the
# build; OPENCV_OPT=-O3 OPENCV_DNN_OPT=-O3 gives OpenCV's own flags.
#
# Heavy steps run under `nice -n 19` with JOBS (default 2) parallel jobs.
# Each finished stage leaves a stamp file; an interrupted stage is resumed
# (make picks up where it stopped).
set -euo pipefail

CACHE=${GRADEVAULT_CACHE:-$HOME/.cache/gradevault}
JOBS=${JOBS:-2}
NICE="nice -n 19"
OPENCV_DEB_VERSION=4.10.0+dfsg-5 # trixie
OPENCV_VERSION=4.10.0
FFMPEG_SUITE=bookworm
CPU_DISPATCH=${OPENCV_CPU_DISPATCH:-}
OPT=${OPENCV_OPT:--O1}
DNN_OPT=${OPENCV_DNN_OPT:--O0}
SRC=$CACHE/src
MODULES="core,imgproc,imgcodecs,videoio,highgui,video,calib3d,features2d,flann,objdetect,photo,dnn"
MINGW=x86_64-w64-mingw32

die() { echo "opencv-build: $*" >&2; exit 2; }
log() { echo "== $(date +%H:%M:%S) $*"; }

prefix_of() {
  case "$1" in
    linux) echo "$CACHE/opencv-4.10" ;;
    windows) echo "$CACHE/opencv-4.10-mingw" ;;
    *) die "unknown target $1" ;;
  esac
}

# need_debs PKG...: install the missing bookworm packages (build tools only).
need_debs() {
  local missing="" p sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || sudo=sudo
  log "installing:$missing"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
}

# apt_src SUITE ARGS...: apt-get with only a deb-src line for SUITE, state
# and lists kept in $CACHE/apt/SUITE.
apt_src() {
  local suite=$1
  shift
  local dir=$CACHE/apt/$suite
  if [ ! -f "$dir/etc/src.sources" ]; then
    mkdir -p "$dir/etc" "$dir/lists/partial" "$dir/cache"
    cat >"$dir/etc/src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  apt-get -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir/etc" \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" \
    -o APT::Sandbox::User=root "$@"
}

# fetch_orig SUITE SRCPKG[=VERSION] GLOB: download a source package into
# $SRC (once) and print the path of its upstream tarball (matching GLOB).
fetch_orig() {
  local suite=$1 pkg=$2 glob=$3 f
  mkdir -p "$SRC"
  f=$(find "$SRC" -maxdepth 1 -name "$glob" ! -name '*.asc' | head -1)
  if [ -z "$f" ]; then
    [ -d "$CACHE/apt/$suite/lists" ] && ls "$CACHE/apt/$suite/lists/" | grep -q Sources ||
      apt_src "$suite" update -qq >/dev/null 2>&1 || apt_src "$suite" update
    log "fetching the $pkg source package ($suite)"
    # apt-get source may fail on a mirror without the .dsc after it fetched
    # the tarballs; the tarball is what counts.
    (cd "$SRC" && apt_src "$suite" source --download-only -qq "$pkg" || true)
    f=$(find "$SRC" -maxdepth 1 -name "$glob" ! -name '*.asc' | head -1)
    [ -n "$f" ] || die "could not download $pkg's source from Debian $suite"
  fi
  echo "$f"
}

# unpack TARBALL DIR: unpack once into $SRC/DIR. With the package's .dsc
# (bookworm's FFmpeg and libpng) dpkg-source applies Debian's patches, its
# security fixes among them; without it (the trixie mirror serves OpenCV's
# tarballs but not its .dsc) the upstream tarball is used as it is: Debian's
# OpenCV patches are about Debian's own build.
unpack() {
  local tarball=$1 dir=$SRC/$2 dsc
  if [ ! -f "$dir/.unpacked" ]; then
    rm -rf "$dir" "$dir.tmp"
    dsc=$(find "$SRC" -maxdepth 1 -name "$(basename "$tarball" | sed 's/\.orig\.tar\..*//')-*.dsc" | head -1)
    if [ -n "$dsc" ] && command -v dpkg-source >/dev/null; then
      log "unpacking $(basename "$dsc") with Debian's patches"
      (cd "$SRC" && $NICE dpkg-source --no-check -x "$dsc" "$dir.tmp" >/dev/null)
    else
      log "unpacking $(basename "$tarball")"
      mkdir -p "$dir.tmp"
      $NICE tar -C "$dir.tmp" --strip-components=1 -xf "$tarball"
    fi
    mv "$dir.tmp" "$dir"
    touch "$dir/.unpacked"
  fi
}

opencv_source() {
  unpack "$(fetch_orig trixie "opencv=$OPENCV_DEB_VERSION" "opencv_${OPENCV_DEB_VERSION%-*}.orig.tar.*")" "opencv-$OPENCV_VERSION"
}

# Options shared by both targets: only the modules gocv needs, nothing
# downloaded, nothing from the missing 3rdparty/ folder.
opencv_common_flags() {
  local launcher
  launcher=$(opt_launcher)
  printf '%s\n' \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER_LAUNCHER="$launcher" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" \
    -DBUILD_LIST="$MODULES" \
    -DOPENCV_GENERATE_PKGCONFIG=ON \
    -DBUILD_TESTS=OFF -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF \
    -DBUILD_opencv_apps=OFF -DBUILD_DOCS=OFF -DBUILD_JAVA=OFF \
    -DBUILD_opencv_python2=OFF -DBUILD_opencv_python3=OFF -DOPENCV_SKIP_PYTHON_LOADER=ON \
    -DCPU_DISPATCH="$CPU_DISPATCH" \
    -DWITH_IPP=OFF -DWITH_ITT=OFF -DWITH_OPENCL=OFF -DWITH_TBB=OFF -DWITH_OPENMP=OFF \
    -DWITH_PROTOBUF=OFF -DBUILD_PROTOBUF=OFF -DWITH_FLATBUFFERS=OFF \
    -DWITH_QUIRC=OFF -DWITH_ADE=OFF -DWITH_EIGEN=OFF -DWITH_LAPACK=OFF \
    -DWITH_CAROTENE=OFF -DWITH_CUDA=OFF -DWITH_VULKAN=OFF \
    -DWITH_GTK=OFF -DWITH_QT=OFF -DWITH_VTK=OFF -DWITH_WIN32UI=OFF \
    -DWITH_GSTREAMER=OFF -DWITH_V4L=OFF -DWITH_1394=OFF -DWITH_GPHOTO2=OFF \
    -DWITH_VA=OFF -DWITH_VA_INTEL=OFF -DWITH_OBSENSOR=OFF \
    -DWITH_MSMF=OFF -DWITH_DSHOW=OFF \
    -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_OPENJPEG=OFF -DWITH_JASPER=OFF \
    -DWITH_OPENEXR=OFF -DWITH_AVIF=OFF -DWITH_SPNG=OFF \
    -DWITH_FFMPEG=ON -DWITH_PNG=ON
}

# opt_launcher: a compiler launcher that swaps OpenCV's -O3 for $OPT, or
# $DNN_OPT for the dnn module's sources; print its path.
opt_launcher() {
  local f=$CACHE/build/opt-launcher.sh
  mkdir -p "$CACHE/build"
  cat >"$f.tmp" <<EOF
#!/bin/sh
# Generated by scripts/opencv-build.sh: COMPILER ARGS... with -O3 replaced.
opt=$OPT
case "\$*" in */modules/dnn/*) opt=$DNN_OPT ;; esac
first=1
for a in "\$@"; do
  [ \$first = 1 ] && { set --; first=0; }
  [ "\$a" = -O3 ] && a=\$opt
  set -- "\$@" "\$a"
done
exec "\$@"
EOF
  chmod +x "$f.tmp"
  mv "$f.tmp" "$f"
  echo "$f"
}

# cmake_build NAME SRCDIR PREFIX FLAGS...: configure (again when FLAGS
# changed), build and install; the stamp says it is done. Objects already
# built are kept: make rebuilds only what the new flags change.
cmake_build() {
  local name=$1 srcdir=$2 prefix=$3
  shift 3
  local build=$CACHE/build/$name sum
  if [ -f "$prefix/.done-$name" ]; then
    log "$name: cached in $prefix"
    return 0
  fi
  mkdir -p "$build"
  sum=$(printf '%s\n' "$srcdir" "$prefix" "$@" | md5sum | cut -c1-32)
  if [ ! -f "$build/CMakeCache.txt" ] || [ "$(cat "$build/.flags" 2>/dev/null)" != "$sum" ]; then
    log "$name: configuring"
    $NICE cmake -S "$srcdir" -B "$build" -DCMAKE_INSTALL_PREFIX="$prefix" "$@" >"$build/configure.log" 2>&1 ||
      { tail -40 "$build/configure.log" >&2; die "$name: cmake failed, see $build/configure.log"; }
    echo "$sum" >"$build/.flags"
  fi
  log "$name: building with $JOBS jobs (log: $build/build.log)"
  $NICE cmake --build "$build" -j "$JOBS" >>"$build/build.log" 2>&1 ||
    { tail -40 "$build/build.log" >&2; die "$name: build failed, see $build/build.log"; }
  $NICE cmake --install "$build" >"$build/install.log" 2>&1 ||
    { tail -20 "$build/install.log" >&2; die "$name: install failed"; }
  touch "$prefix/.done-$name"
  log "$name: installed into $prefix"
}

build_linux() {
  need_debs cmake make g++ pkg-config libavcodec-dev libavformat-dev libswscale-dev \
    libavutil-dev libpng-dev libjpeg-dev zlib1g-dev
  opencv_source
  local prefix
  prefix=$(prefix_of linux)
  mapfile -t flags < <(opencv_common_flags)
  cmake_build opencv-$OPENCV_VERSION-linux "$SRC/opencv-$OPENCV_VERSION" "$prefix" "${flags[@]}" \
    -DBUILD_SHARED_LIBS=ON -DWITH_JPEG=ON \
    -DBUILD_ZLIB=OFF -DBUILD_PNG=OFF -DBUILD_JPEG=OFF
  echo "OpenCV $OPENCV_VERSION: PKG_CONFIG_PATH=$prefix/lib/pkgconfig LD_LIBRARY_PATH=$prefix/lib"
}

# --- Windows (mingw-w64 cross-build, static) ---------------------------------

# Decoders, parsers and demuxers a grader's video needs (phones film H.264
# or HEVC in MP4/MOV; MKV and MPEG-4 Part 2 for the odd camera), plus the
# bitstream filters OpenCV's FFmpeg backend uses. Nothing else is built, no
# network, no encoders, no hardware acceleration: decoding never depends on
# the Windows host's media stack.
ffmpeg_flags() {
  printf '%s\n' \
    --enable-cross-compile --target-os=mingw32 --arch=x86_64 \
    --cross-prefix=$MINGW- --cc=$MINGW-gcc-posix --cxx=$MINGW-g++-posix \
    --pkg-config=pkg-config --pkg-config-flags=--static \
    --enable-static --disable-shared --disable-programs --disable-doc \
    --disable-debug --disable-network --disable-autodetect --disable-everything \
    --disable-avdevice --disable-avfilter --disable-swresample --disable-postproc \
    --enable-avcodec --enable-avformat --enable-avutil --enable-swscale \
    --enable-w32threads --enable-zlib --enable-x86asm \
    --enable-decoder=h264,hevc,mpeg4 \
    --enable-parser=h264,hevc,mpeg4video \
    --enable-demuxer=mov,matroska,avi,h264,hevc \
    --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,extract_extradata \
    --enable-protocol=file
}

# mingw_toolchain DEPS: write the CMake toolchain file, print its path.
mingw_toolchain() {
  local f=$CACHE/build/mingw-w64-x86_64.cmake deps=$1
  mkdir -p "$CACHE/build"
  cat >"$f" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(CMAKE_C_COMPILER $MINGW-gcc-posix)
set(CMAKE_CXX_COMPILER $MINGW-g++-posix)
set(CMAKE_RC_COMPILER $MINGW-windres)
set(CMAKE_FIND_ROOT_PATH /usr/$MINGW $deps)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
EOF
  echo "$f"
}

build_windows() {
  need_debs cmake make pkg-config nasm gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 libz-mingw-w64-dev dpkg-dev
  opencv_source
  local prefix deps toolchain
  prefix=$(prefix_of windows)
  deps=$prefix/deps # FFmpeg and libpng, static, linked into the exe
  toolchain=$(mingw_toolchain "$deps")
  mkdir -p "$deps"

  # FFmpeg 5.1 (bookworm), static.
  unpack "$(fetch_orig bookworm ffmpeg 'ffmpeg_*.orig.tar.*')" ffmpeg-5.1
  if [ ! -f "$deps/.done-ffmpeg" ]; then
    local fb=$CACHE/build/ffmpeg-5.1-mingw
    mkdir -p "$fb"
    mapfile -t fflags < <(ffmpeg_flags)
    if [ ! -f "$fb/ffbuild/config.mak" ]; then
      log "ffmpeg: configuring"
      (cd "$fb" && PKG_CONFIG_LIBDIR=/usr/$MINGW/lib/pkgconfig $NICE "$SRC/ffmpeg-5.1/configure" \
        --prefix="$deps" "${fflags[@]}" >configure.log 2>&1) ||
        { tail -30 "$fb/configure.log" "$fb/ffbuild/config.log" >&2; die "ffmpeg: configure failed"; }
    fi
    log "ffmpeg: building with $JOBS jobs (log: $fb/build.log)"
    (cd "$fb" && $NICE make -j "$JOBS" >>build.log 2>&1 && make install >install.log 2>&1) ||
      { tail -30 "$fb/build.log" >&2; die "ffmpeg: build failed, see $fb/build.log"; }
    touch "$deps/.done-ffmpeg"
  fi

  # libpng 1.6 (bookworm), static: OpenCV writes the golden-frame PNGs.
  unpack "$(fetch_orig bookworm libpng1.6 'libpng1.6_*.orig.tar.*')" libpng-1.6
  cmake_build libpng-1.6-mingw "$SRC/libpng-1.6" "$deps" \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
    -DPNG_SHARED=OFF -DPNG_STATIC=ON -DPNG_TESTS=OFF -DPNG_EXECUTABLES=OFF -DSKIP_INSTALL_PROGRAMS=ON

  # OpenCV, static, FFmpeg found through pkg-config in $deps.
  mapfile -t flags < <(opencv_common_flags)
  PKG_CONFIG_LIBDIR=$deps/lib/pkgconfig:/usr/$MINGW/lib/pkgconfig PKG_CONFIG_PATH="" \
    cmake_build opencv-$OPENCV_VERSION-mingw "$SRC/opencv-$OPENCV_VERSION" "$prefix" "${flags[@]}" \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DBUILD_SHARED_LIBS=OFF -DOPENCV_FFMPEG_SKIP_DOWNLOAD=ON -DOPENCV_FFMPEG_USE_FIND_PACKAGE=OFF \
    -DWITH_JPEG=OFF -DBUILD_ZLIB=OFF -DBUILD_PNG=OFF -DBUILD_JPEG=OFF \
    -DPNG_LIBRARY="$deps/lib/libpng16.a" -DPNG_PNG_INCLUDE_DIR="$deps/include" \
    -DZLIB_LIBRARY=/usr/$MINGW/lib/libz.a -DZLIB_INCLUDE_DIR=/usr/$MINGW/include \
    -DWITH_DIRECTX=OFF -DWITH_DIRECTML=OFF -DWITH_OPENCL_D3D11_NV=OFF \
    -DOPENCV_BIN_INSTALL_PATH=bin -DOPENCV_LIB_INSTALL_PATH=lib -DOPENCV_LIB_ARCHIVE_INSTALL_PATH=lib \
    -DOPENCV_3P_LIB_INSTALL_PATH=lib -DOPENCV_CONFIG_INSTALL_PATH=lib/cmake/opencv4 \
    -DOPENCV_INCLUDE_INSTALL_PATH=include/opencv4 -DOPENCV_OTHER_INSTALL_PATH=share/opencv4 \
    -DOPENCV_LICENSES_INSTALL_PATH=share/licenses/opencv4
  echo "OpenCV $OPENCV_VERSION for windows/amd64: OPENCV_WIN_DIR=$prefix"
}

case "${1:-}" in
  linux) build_linux ;;
  windows) build_windows ;;
  source) opencv_source ;;
  prefix) prefix_of "${2:-}" ;;
  *) die "usage: opencv-build.sh linux|windows|source|prefix linux|windows" ;;
esac
