#!/usr/bin/env bash
# Installs the Debian packages a target needs, skipping those already present.
# Usage: scripts/install-deps.sh build|test|windows|windows-check
# Run as root (or with sudo available); otherwise it prints what to install.
set -euo pipefail

build_pkgs=(gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev)
# libreoffice-calc-nogui: survey/xlsform checks that LibreOffice reads the
# shipped XLSForm templates as written. chromium and a CJK font: the
# workbench's browser tests (web/browser_test.go) drive headless chromium
# and screenshot its Chinese pages; chromium-l10n holds chromium's own
# Chinese strings (without it --lang=zh-CN falls back to English: the file
# inputs said "Choose File"), as a Chinese office PC's browser shows them.
# firefox-esr: web/firefox_test.go drives the workbench in headless Firefox
# ESR through WebDriver BiDi (built into Firefox, no geckodriver needed);
# firefox-esr-l10n-zh-cn holds Firefox's own Chinese strings for
# intl.locale.requested=zh-CN (the date inputs, the file inputs' 浏览…).
test_pkgs=("${build_pkgs[@]}" xvfb xauth poppler-utils libreoffice-calc-nogui chromium chromium-l10n
	firefox-esr firefox-esr-l10n-zh-cn fonts-noto-cjk)
windows_pkgs=(gcc-mingw-w64-x86-64)
# Wine runs the .exe for make windows-check (wine64 is the 64-bit loader;
# Debian's wine package holds the wine command).
windows_check_pkgs=("${windows_pkgs[@]}" wine wine64 xvfb xauth)

case "${1:-build}" in
build) want=("${build_pkgs[@]}") ;;
test) want=("${test_pkgs[@]}") ;;
windows) want=("${windows_pkgs[@]}") ;;
windows-check) want=("${windows_check_pkgs[@]}") ;;
*) echo "usage: $0 build|test|windows|windows-check" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "not a Debian system; please install: ${missing[*]}" >&2
	exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
		echo "missing packages (run as root to install): ${missing[*]}" >&2
		exit 1
	fi
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
