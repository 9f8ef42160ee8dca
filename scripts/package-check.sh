#!/usr/bin/env bash
# package-check.sh TARBALL: install the Linux package the way a user would
# (its own `make install`, into a temporary DESTDIR) and check that the
# installed binary starts and works:
#   - every file of fyne's layout is there (binary, .desktop, icon);
#   - ldd finds every shared library;
#   - every library it links belongs to a package in $RUNTIME_DEBS (the list
#     the README gives users), and the README names each of them;
#   - `gradevault --version` prints FyneApp.toml's version;
#   - `gradevault analyze` on the bundled sample writes a good result.json.
# Leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."

TARBALL=${1:?usage: package-check.sh TARBALL}
VERSION=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
APPID=$(sed -n 's/^ID *= *"\(.*\)"/\1/p' FyneApp.toml)
RUNTIME_DEBS=${RUNTIME_DEBS:?set RUNTIME_DEBS (the Makefile does)}

fail() { echo "package-check: $*" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

tar -C "$WORK" -xJf "$TARBALL"
top=$(find "$WORK" -mindepth 1 -maxdepth 1 -type d | head -1)
[ -f "$top/Makefile" ] || fail "no Makefile in the package"
make -s -C "$top" install DESTDIR="$WORK/root" PREFIX=/usr/local >/dev/null
bin=$WORK/root/usr/local/bin/gradevault
for f in "$bin" "$WORK/root/usr/local/share/applications/$APPID.desktop" \
  "$WORK/root/usr/local/share/pixmaps/$APPID.png"; do
  [ -s "$f" ] || fail "make install did not install ${f#"$WORK/root"}"
done
grep -q '^Exec=gradevault' "$WORK/root/usr/local/share/applications/$APPID.desktop" ||
  fail "the .desktop file does not run gradevault"
echo "installed: $(cd "$WORK/root" && find . -type f | sed 's|^\./|/|' | sort | tr '\n' ' ')"

if ldd "$bin" | grep -q 'not found'; then
  ldd "$bin" | grep 'not found' >&2
  fail "shared libraries missing"
fi

# Libraries the binary links directly, and the packages that ship them.
# (Ubuntu 24.04 names some of them with a t64 suffix.)
pkgs=""
for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  path=$(ldd "$bin" | awk -v l="$lib" '$1 == l { print $3 }')
  pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true)
  pkg=${pkg%%:*}
  [ -n "$pkg" ] || fail "no Debian package owns $lib ($path)"
  case " $RUNTIME_DEBS " in
    *" ${pkg%t64} "*) ;;
    *) fail "$lib comes from $pkg, which is not in RUNTIME_DEBS (Makefile) and the README" ;;
  esac
  pkgs="$pkgs ${pkg%t64}"
done
for p in $RUNTIME_DEBS; do
  grep -qw -- "$p" README.md || fail "README.md does not list the runtime package $p"
done
echo "links:$(echo "$pkgs" | tr ' ' '\n' | sort -u | tr '\n' ' ')"

got=$("$bin" --version)
echo "$got"
echo "$got" | grep -qF "$VERSION" || fail "--version does not show $VERSION"

"$bin" analyze assets/sample.mp4 --out "$WORK/scan" --scan-id package-check --quiet >/dev/null
python3 - "$WORK/scan/result.json" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))
d = os.path.dirname(sys.argv[1])
assert r["scanId"] == "package-check", r["scanId"]
assert len(r["goldenFrames"]) == 5, r["goldenFrames"]
for f in r["goldenFrames"] + [r["defectMask"], r["varianceHeatmap"], r["defectOverlay"]]:
    assert os.path.isfile(os.path.join(d, f)), f
assert len(r["frames"]) == r["video"]["frames"] > 0
print("packaged binary analysed the sample:", len(r["frames"]), "frames, golden",
      [g["frame"] for g in r["goldenFrameDetails"]], "damage", r["damageScore"])
PY
echo "package ok: $(basename "$TARBALL")"
