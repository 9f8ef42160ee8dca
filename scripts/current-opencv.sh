#!/usr/bin/env bash
# current-opencv.sh: check GradeVault against the "current" OpenCV stack —
# OpenCV 4.10 (built by scripts/opencv-build.sh linux, cached outside the
# repository) with gocv v0.39.0, the last gocv release made for OpenCV 4.10
# (v0.37.0 to v0.39.0 target 4.10.0, v0.40.0 moved to 4.11). Homebrew and
# MSYS2 ship OpenCV of this generation; the macOS and Windows builds use the
# same switch.
#
# Debian 12's stack (gocv v0.31.0, OpenCV 4.6) stays the default: go.mod and
# go.sum are not touched. gocv is switched on a temporary copy of them
# (`go get -modfile`), and the copy is used through -modfile. Then:
#   1. go vet on every package;
#   2. go test on the engine and the command line (the UI's screenshot tests
#      are the Debian stack's business);
#   3. the Matprofile leak tests;
#   4. gradevault --version (which shows the linked OpenCV) and
#      gradevault analyze on the sample, compared with the same analysis on
#      the Debian stack: golden frames and damage score.
#
# Usage:
#   scripts/current-opencv.sh           OpenCV 4.10 from scripts/opencv-build.sh
#                                       linux (`make test-current-opencv`)
#   scripts/current-opencv.sh --system  the OpenCV pkg-config finds (Homebrew
#                                       on macOS), with the gocv made for its
#                                       version; no comparison with Debian's
#   scripts/current-opencv.sh --modfile-only DIR [OPENCV_VERSION]
#                                       only write DIR/go.current.mod and .sum
#                                       (the Windows build uses this)
# Environment: GOCV_CURRENT (overrides the gocv version), OPENCV_CURRENT_PREFIX
# (default: the opencv-build.sh prefix), RACE=1 to add -race (slower).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

# gocv_for OPENCV_VERSION: the gocv release made for that OpenCV (gocv's
# Makefile names it: v0.37.0-v0.39.0 4.10.0, v0.40.0-v0.41.0 4.11.0,
# v0.42.0 4.12.0).
gocv_for() {
  case "$1" in
    4.10.*) echo v0.39.0 ;;
    4.11.*) echo v0.41.0 ;;
    4.12.*) echo v0.42.0 ;;
    *) echo "current-opencv: no gocv release known for OpenCV $1 (set GOCV_CURRENT)" >&2; return 2 ;;
  esac
}

# write_modfile DIR: DIR/go.current.mod (+ .sum) = go.mod with gocv switched.
write_modfile() {
  local dir=$1
  mkdir -p "$dir"
  cp go.mod "$dir/go.current.mod"
  cp go.sum "$dir/go.current.sum"
  $GO get -modfile="$dir/go.current.mod" "gocv.io/x/gocv@$GOCV_CURRENT" >/dev/null 2>&1 ||
    $GO get -modfile="$dir/go.current.mod" "gocv.io/x/gocv@$GOCV_CURRENT"
  grep -q "gocv.io/x/gocv $GOCV_CURRENT" "$dir/go.current.mod" || {
    echo "current-opencv: could not switch gocv to $GOCV_CURRENT" >&2
    exit 2
  }
}

mode=${1:-prefix}
case "$mode" in
  --modfile-only)
    GOCV_CURRENT=${GOCV_CURRENT:-$(gocv_for "${3:-4.10.0}")}
    write_modfile "${2:?usage: current-opencv.sh --modfile-only DIR [OPENCV_VERSION]}"
    echo "$2/go.current.mod: gocv $GOCV_CURRENT"
    exit 0
    ;;
  --system) PREFIX="" ;;
  prefix)
    PREFIX=${OPENCV_CURRENT_PREFIX:-$(scripts/opencv-build.sh prefix linux)}
    [ -f "$PREFIX/lib/pkgconfig/opencv4.pc" ] || {
      echo "current-opencv: no OpenCV 4.10 in $PREFIX: run scripts/opencv-build.sh linux (long; cached)" >&2
      exit 2
    }
    # pkg-config finds OpenCV 4.10 first (gocv and the DIS/ECC shims both
    # use `#cgo pkg-config: opencv4`); the loader finds its libraries.
    export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
    export LD_LIBRARY_PATH=$PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    ;;
  *) echo "usage: current-opencv.sh [--system | --modfile-only DIR [OPENCV_VERSION]]" >&2; exit 2 ;;
esac
OPENCV_VERSION=$(pkg-config --modversion opencv4)
GOCV_CURRENT=${GOCV_CURRENT:-$(gocv_for "$OPENCV_VERSION")}

# A build cache of its own per OpenCV build: Go's cache does not key a cgo
# package on what pkg-config answers, so a gocv compiled against another
# OpenCV (or a headers-only stub) would be linked with that one's flags.
DEBIAN_GOCACHE=$($GO env GOCACHE)
pcsum=$(pkg-config --variable=pcfiledir opencv4 | xargs -I{} cat {}/opencv4.pc | sha256sum | cut -c1-12)
export GOCACHE=${GOCACHE_CURRENT:-${GRADEVAULT_CACHE:-$HOME/.cache/gradevault}/go-build-opencv-$OPENCV_VERSION-$pcsum}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
write_modfile "$WORK"
MOD=-modfile=$WORK/go.current.mod

race=""
if [ "${RACE:-}" = 1 ]; then race=-race; fi

start=$(date +%s)
echo "== OpenCV $OPENCV_VERSION from ${PREFIX:-$(pkg-config --variable=prefix opencv4)}, gocv $GOCV_CURRENT"
echo "== go vet ./..."
$GO vet "$MOD" ./...
echo "== go test $race ./engine/... ./cli/..."
set +e
$GO test "$MOD" $race -v -count=1 -timeout 30m ./engine/... ./cli/... >"$WORK/test.log" 2>&1
rc=$?
set -e
grep -E '^(ok|FAIL|\?|panic)|^[[:space:]]*--- FAIL' "$WORK/test.log" || true
# Tests and subtests, as go test -v reports them.
count() { grep -cE "^[[:space:]]*--- $1" "$WORK/test.log" || true; }
summary="tests: $(count PASS) passed, $(count FAIL) failed, $(count SKIP) skipped (subtests included)"
echo "$summary"
if [ $rc != 0 ]; then
  cp "$WORK/test.log" "${TMPDIR:-/tmp}/current-opencv-test.log"
  echo "current-opencv: tests failed; log in ${TMPDIR:-/tmp}/current-opencv-test.log" >&2
  exit 1
fi
echo "== go test -tags matprofile -run NoMatLeak"
$GO test "$MOD" -tags matprofile -count=1 -run NoMatLeak -timeout 10m \
  ./engine/analysis ./engine/glint ./engine/scan ./engine/synth

echo "== gradevault on OpenCV $OPENCV_VERSION"
$GO build "$MOD" -o "$WORK/gradevault-current" .
"$WORK/gradevault-current" --version | tee "$WORK/version.txt"
grep -qF "$OPENCV_VERSION" "$WORK/version.txt" || { echo "current-opencv: the binary does not run on OpenCV $OPENCV_VERSION" >&2; exit 1; }
"$WORK/gradevault-current" analyze assets/sample.mp4 --out "$WORK/scan-current" --scan-id current --quiet >/dev/null
if [ -n "$PREFIX" ]; then
  # The same analysis on Debian's stack (go.mod as it is, system OpenCV 4.6).
  env -u LD_LIBRARY_PATH -u PKG_CONFIG_PATH GOCACHE="$DEBIAN_GOCACHE" $GO build -o "$WORK/gradevault-debian" .
  env -u LD_LIBRARY_PATH "$WORK/gradevault-debian" --version
  env -u LD_LIBRARY_PATH "$WORK/gradevault-debian" analyze assets/sample.mp4 --out "$WORK/scan-debian" --scan-id debian --quiet >/dev/null
fi
python3 - "$WORK/scan-current/result.json" "$WORK/scan-debian/result.json" <<'PY'
import json, os, sys
cur = json.load(open(sys.argv[1]))
pick = lambda r: [g["frame"] for g in r["goldenFrameDetails"]]
assert len(pick(cur)) == 5, pick(cur)
print("golden frames: current", pick(cur), "damage", cur["damageScore"])
if os.path.exists(sys.argv[2]):
    deb = json.load(open(sys.argv[2]))
    print("golden frames: Debian ", pick(deb), "damage", deb["damageScore"])
    if pick(cur) != pick(deb):
        sys.exit("current-opencv: the two stacks pick different golden frames")
PY
echo "== current OpenCV stack ok in $(($(date +%s) - start)) s: OpenCV $OPENCV_VERSION, gocv $GOCV_CURRENT, $(grep -c '^ok' "$WORK/test.log") packages ok, $summary"
