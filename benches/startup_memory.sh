#!/usr/bin/env bash
# Peak and steady resident memory of shiftboss on the startup bench's
# 1,000,000-event log (30 agents): `status` under /usr/bin/time -v, and a
# read-only console (`up --readonly`, 160x48 in tmux) sampled from /proc
# once its first frame is on screen (steady: VmRSS five seconds later;
# peak: VmHWM).
#
#   cargo bench --bench startup            # makes the log once, and the binary
#   bash benches/startup_memory.sh [BIN] [PROJECT]
#
# BIN defaults to target/release/shiftboss, PROJECT to the newest log under
# target/startup-bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/release/shiftboss}")
root=${2:-$(ls -d target/startup-bench/gen*-schema* | sort | tail -1)}
root=$(realpath "$root")
[ -e "$root/ready" ] || { echo "no log at $root: run cargo bench --bench startup first" >&2; exit 2; }
[ -e "$root/.shiftboss/config.toml" ] || (cd "$root" && "$bin" init >/dev/null)

times=$(mktemp)
(cd "$root" && /usr/bin/time -v "$bin" status --json >/dev/null 2>"$times")
echo "status: peak $(awk -F': ' '/Maximum resident/ {printf "%.0f MB", $2/1024}' "$times"), $(awk -F': ' '/Elapsed/ {print $2}' "$times") wall"
rm -f "$times"

session="shiftboss-mem-$$"
tmux new-session -d -s "$session" -x 160 -y 48 -c "$root" "$bin up --readonly"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
pid=$(tmux list-panes -t "$session" -F '#{pane_pid}')
for _ in $(seq 1 600); do
    if tmux capture-pane -p -t "$session" | grep -q "convoy"; then break; fi
    sleep 0.1
done
tmux capture-pane -p -t "$session" | grep -q "convoy" || { echo "the console drew no frame" >&2; exit 1; }
sleep 5
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "console (up --readonly): steady $((rss / 1024)) MB, peak $((hwm / 1024)) MB"
