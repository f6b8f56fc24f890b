#!/bin/sh
# Replays, in this build (with or without libFuzzer), every input that once
# broke a harness (tests/fuzz/regressions/HARNESS/*), then the committed
# recording cut at every offset through the reader and every report.
set -u
: "${TARGETS:?TARGETS must name the tests/targets build directory}"
: "${TESTS_SRCDIR:?TESTS_SRCDIR must name the tests source directory}"
fuzz=$(dirname "$TARGETS")/fuzz
status=0
for harness in recfile recchunks proc; do
    dir=$TESTS_SRCDIR/fuzz/regressions/$harness
    [ -d "$dir" ] || continue
    if "$fuzz/replay_$harness" "$dir"; then
        echo "ok: $harness regressions"
    else
        echo "FAIL: $harness regressions" >&2
        status=1
    fi
done
if "$fuzz/replay_recfile" --prefixes "$TESTS_SRCDIR/data/recording-v1.spytop"; then
    echo "ok: recording-v1.spytop cut at every offset"
else
    echo "FAIL: recording-v1.spytop cut at every offset" >&2
    status=1
fi
exit $status
