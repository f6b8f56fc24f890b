#!/bin/sh
# Builds spytop, starts a bundled demo workload (four named threads, each
# busy in its own function, and a main thread waiting for them) and shows
# where its threads are. The workload is stopped at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top/build"
make -s tests/targets/threads >/dev/null
./tests/targets/threads >/dev/null &
workload=$!
trap 'kill $workload 2>/dev/null' EXIT INT TERM
sleep 0.3
echo "spytop: demo workload is PID $workload; running: spytop dump -p $workload" >&2
./spytop dump -p "$workload"
