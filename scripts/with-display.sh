#!/usr/bin/env bash
# Runs a command with an X display: the current one if DISPLAY is set,
# otherwise a private Xvfb server that is stopped when the command ends.
set -euo pipefail
if [ -n "${DISPLAY:-}" ] && [ "${CI:-}" != "true" ]; then
	exec "$@"
fi
for n in $(seq 90 140); do
	[ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { disp=":$n"; break; }
done
Xvfb "$disp" -screen 0 1366x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill $xvfb_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
	[ -e "/tmp/.X11-unix/X${disp#:}" ] && break
	sleep 0.1
done
export DISPLAY="$disp"
"$@"
