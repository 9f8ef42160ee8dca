#!/usr/bin/env bash
# screenshots.sh BIN OUTDIR: run the real GradeVault window (built with
# -tags tour) under Xvfb on the
# bundled sample video, let it tour every screen (GRADEVAULT_TOUR) and check
# that a PNG of each screen landed in OUTDIR. Never hangs: the app has a time
# limit, and Xvfb and the temporary library are always cleaned up.
set -euo pipefail

BIN=${1:?usage: screenshots.sh BIN OUTDIR}
OUT=${2:?usage: screenshots.sh BIN OUTDIR}
LIMIT=${SCREENSHOT_TIMEOUT:-240}
EXPECTED=(01-start 02-analysis 03-review 04-review-defects 05-reselect-preview
          06-reselected 07-confirm-upload 08-settings 09-library 10-open-dialog
          11-not-configured 12-upload-failed 13-key-not-saved 14-review-report)

[ -x "$BIN" ] || { echo "screenshots: $BIN is not an executable" >&2; exit 2; }
command -v Xvfb >/dev/null || { echo "screenshots: Xvfb is not installed (make deps)" >&2; exit 2; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/*.png "$OUT"/report.pdf
WORK=$(mktemp -d)
XVFB_PID=""
cleanup() {
  if [ -n "$XVFB_PID" ] && kill -0 "$XVFB_PID" 2>/dev/null; then
    kill "$XVFB_PID" 2>/dev/null || true
    wait "$XVFB_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# A free display number.
DISP=99
while [ -e "/tmp/.X${DISP}-lock" ] || [ -e "/tmp/.X11-unix/X${DISP}" ]; do DISP=$((DISP + 1)); done
Xvfb ":$DISP" -screen 0 1400x900x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 50); do
  [ -e "/tmp/.X11-unix/X${DISP}" ] && break
  kill -0 "$XVFB_PID" 2>/dev/null || { cat "$WORK/xvfb.log" >&2; exit 1; }
  sleep 0.1
done

# A throw-away home: no user settings, keychain or library are touched.
mkdir -p "$WORK/home" "$WORK/library"
set +e
env DISPLAY=":$DISP" LIBGL_ALWAYS_SOFTWARE=1 HOME="$WORK/home" \
    XDG_CONFIG_HOME="$WORK/home/.config" XDG_CACHE_HOME="$WORK/home/.cache" \
    GRADEVAULT_LIBRARY="$WORK/library" GRADEVAULT_TOUR="$OUT" \
    timeout -k 10 "$LIMIT" "$BIN" >"$WORK/app.log" 2>&1
RC=$?
set -e
if [ "$RC" -ne 0 ]; then
  echo "screenshots: $BIN exited with status $RC" >&2
  tail -n 60 "$WORK/app.log" >&2
  exit 1
fi
missing=0
for name in "${EXPECTED[@]}"; do
  if [ ! -s "$OUT/$name.png" ]; then
    echo "screenshots: missing $OUT/$name.png" >&2
    missing=1
  fi
done
[ "$missing" -eq 0 ] || exit 1
echo "screenshots: ${#EXPECTED[@]} screens in $OUT"

# The grading report of the sample scan: the PDF and its pages as PNGs.
command -v pdftoppm >/dev/null || { echo "screenshots: pdftoppm is not installed (make deps: poppler-utils)" >&2; exit 2; }
env HOME="$WORK/home" GRADEVAULT_LIBRARY="$WORK/library" \
    "$BIN" analyze assets/sample.mp4 --out "$WORK/report-scan" --scan-id sample-report --quiet >/dev/null
"$BIN" report "$WORK/report-scan" --out "$OUT/report.pdf" >/dev/null
pdftoppm -r 90 -png "$OUT/report.pdf" "$OUT/10-report-page"
[ -s "$OUT/10-report-page-1.png" ] || { echo "screenshots: report page 1 was not rendered" >&2; exit 1; }
echo "screenshots: report.pdf ($(stat -c %s "$OUT/report.pdf") bytes, $(ls "$OUT"/10-report-page-*.png | wc -l) pages)"
