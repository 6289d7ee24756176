#!/usr/bin/env bash
# Runs the Windows build, bin/zoufang.exe, under Wine (Debian's wine 8, not
# Windows): the GUI in screenshot mode for each page under Xvfb, and the CLI
# subcommands demo, print and export. Screenshots and the log go to
# docs/windows/. `make windows-check` builds the .exe first and calls this.
#
# Wine 8 lacks ProcessPrng in bcryptprimitives.dll, which Go >= 1.22 needs
# for crypto/rand; scripts/wine/bcryptprimitives.c is a ten-line stand-in,
# built with mingw-w64 into the throwaway Wine prefix.
set -euo pipefail
cd "$(dirname "$0")/.."

exe=bin/zoufang.exe
out=docs/windows
[ -f "$exe" ] || { echo "missing $exe: run make windows" >&2; exit 1; }
mkdir -p "$out"
log="$out/windows-check.txt"
work=$(mktemp -d /tmp/zoufang-wine.XXXXXX)
xvfb_pid=""
cleanup() {
	[ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
	WINEPREFIX="$work/prefix" wineserver -k 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

export WINEPREFIX="$work/prefix" WINEARCH=win64 WINEDEBUG=-all
start=$(date +%s)
{
	echo "zoufang.exe under Wine (not Windows): $(wine --version), $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "binary: $(ls -l "$exe" | awk '{print $5}') bytes, $(x86_64-w64-mingw32-objdump -f "$exe" | grep 'file format' | sed 's/.*file format //')"
} | tee "$log"


# A private X server at the size of the smallest laptops.
for n in $(seq 150 199); do
	[ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { disp=":$n"; break; }
done
Xvfb "$disp" -screen 0 1366x768x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${disp#:}" ] && break; sleep 0.1; done
export DISPLAY="$disp"

# Wine's prefix is made with the X server already there: a prefix made
# without a display cannot create windows later (GLFW: "Failed to create
# helper window"), which is what a CI runner without DISPLAY got.
wineboot --init >/dev/null 2>&1
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
	scripts/wine/bcryptprimitives.c -ladvapi32
echo "wine prefix ready after $(( $(date +%s) - start )) s" | tee -a "$log"

winpath() { echo "Z:${1//\//\\}"; } # /tmp/x/y -> Z:\tmp\x\y
data="$work/data"
mkdir -p "$data"
fail=0
check() { # check NAME COMMAND...: runs it, logs the output, counts failures
	local name=$1; shift
	echo "== $name" >>"$log"
	if "$@" >>"$log" 2>&1; then echo "ok   $name" | tee -a "$log"; else echo "FAIL $name" | tee -a "$log"; fail=1; fi
}

# The GUI, one page at a time, in screenshot mode on demo data.
for page in home roster visit ledger settings sync; do
	png="$out/windows-$page.png"
	rm -f "$png"
	check "GUI $page (1024x600)" timeout 180 wine "$exe" --data "$(winpath "$data/gui")" --demo --window 1024x600 \
		--screenshot "$(winpath "$PWD/$png")" --screenshot-page "$page"
	if [ ! -s "$png" ]; then echo "FAIL no screenshot $png" | tee -a "$log"; fail=1; fi
done

# The CLI through the same .exe.
cli="$data/cli"
check "help" sh -c "wine '$exe' help | grep -q '用法: zoufang'"
check "demo" wine "$exe" demo --data "$(winpath "$cli")"
check "print --all" wine "$exe" print --data "$(winpath "$cli")" --all --out "$(winpath "$work/走访记录表.pdf")"
check "print wrote a PDF" sh -c "head -c 5 '$work/走访记录表.pdf' | grep -q '%PDF-'"
check "export ledger" wine "$exe" export ledger --data "$(winpath "$cli")" --out "$(winpath "$work/台帐.xlsx")"
check "export wrote an .xlsx" sh -c "head -c 2 '$work/台帐.xlsx' | grep -q PK"
check "roster search" sh -c "wine '$exe' roster search --data '$(winpath "$cli")' hx | grep -q 海信"

echo "finished after $(( $(date +%s) - start )) s" | tee -a "$log"
exit $fail
