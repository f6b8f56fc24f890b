#!/bin/sh
# Builds spytop and shows it live on a bundled demo workload: four named
# threads, each busy in its own function, and a main thread waiting for
# them. spytop starts the workload itself (spytop -- COMMAND) and ends it
# when you quit with q (or after 60 s). Without a terminal it prints three
# plain-text tables instead (--batch).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top/build"
make -s tests/targets/threads >/dev/null
if [ -t 0 ] && [ -t 1 ]; then
    exec ./spytop -d 60 -- ./tests/targets/threads
fi
exec ./spytop --batch --iterations 3 --delay 1 --rows 10 -- ./tests/targets/threads
