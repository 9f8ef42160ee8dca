#!/usr/bin/env bash
# wine-check.sh ZIP: run the Windows package under Wine (Debian's wine64)
# the way a user would after unzipping it:
#   - GradeVault.exe --version (shows the OpenCV it carries);
#   - GradeVault.exe analyze assets/sample.mp4: five golden frames and the
#     defect images, and the same golden frames as the Linux build of the
#     same source (bin/gradevault, built when missing);
#   - the window, opened under Xvfb, saved as screenshots/windows-wine-start.png.
# Uses its own Wine prefix ($GRADEVAULT_CACHE/wine, default
# ~/.cache/gradevault/wine) and stops only that prefix's wineserver.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

ZIP=${1:?usage: wine-check.sh dist/GradeVault-V-windows-amd64.zip}
CACHE=${GRADEVAULT_CACHE:-$HOME/.cache/gradevault}
export WINEPREFIX=$CACHE/wine WINEDEBUG=-all WINEARCH=win64
fail() { echo "wine-check: $*" >&2; exit 1; }
command -v wine >/dev/null || fail "wine is not installed (apt-get install wine wine64)"
command -v Xvfb >/dev/null || fail "Xvfb is not installed (apt-get install xvfb)"

WORK=$(mktemp -d)
XPID=""
cleanup() {
  wineserver -k 2>/dev/null || true
  [ -n "$XPID" ] && kill "$XPID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# A display for Wine from the start (wineboot and the window need one).
disp=:$((90 + RANDOM % 100))
Xvfb "$disp" -screen 0 1366x768x24 -nolisten tcp >/dev/null 2>&1 &
XPID=$!
export DISPLAY=$disp
sleep 2
if [ ! -f "$WINEPREFIX/.initialised" ]; then
  echo "creating the Wine prefix $WINEPREFIX (once)"
  wineboot --init >/dev/null 2>&1 || true
  wineserver -w
  touch "$WINEPREFIX/.initialised"
fi
# Go 1.22+ programs call ProcessPrng in bcryptprimitives.dll at start-up
# ("fatal error: bcryptprimitives.dll not found" otherwise). Windows 10/11
# have it; Debian 12's Wine 8.0 does not, so this prefix (only this one) gets
# a small stand-in built from scripts/wine-bcryptprimitives.c.
sys32=$WINEPREFIX/drive_c/windows/system32
if [ ! -f "$sys32/bcryptprimitives.dll" ]; then
  echo "adding ProcessPrng (bcryptprimitives.dll) to the Wine prefix"
  x86_64-w64-mingw32-gcc -O2 -shared -o "$sys32/bcryptprimitives.dll" \
    scripts/wine-bcryptprimitives.c -Wl,--kill-at -ladvapi32 ||
    fail "cannot build the bcryptprimitives.dll stand-in (needs gcc-mingw-w64-x86-64)"
fi

python3 -m zipfile -e "$ZIP" "$WORK/unzipped"
exe=$(find "$WORK/unzipped" -iname '*.exe' | head -1)
[ -n "$exe" ] || fail "no .exe in $ZIP"
echo "unzipped: $(cd "$WORK/unzipped" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')"

echo "== $(basename "$exe") --version"
ver=$(cd "$WORK" && wine "$exe" --version 2>/dev/null | tr -d '\r')
echo "$ver"
version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
echo "$ver" | grep -qF "$version" || fail "--version does not show $version"
echo "$ver" | grep -q 'windows/amd64' || fail "--version is not the windows/amd64 build"

echo "== $(basename "$exe") analyze assets/sample.mp4"
start=$(date +%s)
(cd "$WORK" && wine "$exe" analyze "$(winepath -w "$ROOT/assets/sample.mp4" 2>/dev/null)" \
  --out "$(winepath -w "$WORK" 2>/dev/null)\\scan-windows" --scan-id wine --quiet >/dev/null 2>"$WORK/analyze.err") ||
  { cat "$WORK/analyze.err" >&2; fail "analyze failed under Wine"; }
echo "analysed in $(($(date +%s) - start)) s under Wine"

# The Linux build of the same source, same sample.
[ -x bin/gradevault ] || make -s build >/dev/null
bin/gradevault analyze assets/sample.mp4 --out "$WORK/scan-linux" --scan-id linux --quiet >/dev/null
python3 - "$WORK/scan-windows/result.json" "$WORK/scan-linux/result.json" <<'PY'
import json, os, sys
win, lin = (json.load(open(p)) for p in sys.argv[1:3])
d = os.path.dirname(sys.argv[1])
for f in win["goldenFrames"] + [win["defectMask"], win["varianceHeatmap"], win["defectOverlay"]]:
    assert os.path.isfile(os.path.join(d, f)), f
pick = lambda r: [g["frame"] for g in r["goldenFrameDetails"]]
print("frames decoded: windows", len(win["frames"]), "| linux", len(lin["frames"]))
print("golden frames:  windows", pick(win), "| linux", pick(lin))
print("damage score:   windows", win["damageScore"], "| linux", lin["damageScore"])
if len(pick(win)) != 5 or pick(win) != pick(lin):
    sys.exit("wine-check: the Windows build picks other golden frames than Linux")
PY

echo "== the window under Xvfb"
(cd "$WORK" && wine "$exe" >/dev/null 2>&1 &)
sleep "${WINE_WINDOW_WAIT:-25}"
mkdir -p screenshots
import -window root screenshots/windows-wine-start.png
echo "wrote screenshots/windows-wine-start.png"
echo "wine check ok: $(basename "$ZIP")"
