#!/usr/bin/env bash
# Peak and steady resident memory of shiftboss on the startup bench's
# 1,000,000-event log (30 agents): `status` under /usr/bin/time -v, and a
# read-only console (`up --readonly`, 160x48 in tmux) sampled from /proc
# once its first frame is on screen (steady: VmRSS five seconds later;
# peak: VmHWM); and a resume: `up --simulate --headless --until 1s` on a
# copy of the project (the swarm is opened, reconciled and closed at once:
# its start is long past), its wall time and peak.
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
if [ ! -e "$root/.shiftboss/config.toml" ]; then
    (cd "$root" && "$bin" init >/dev/null)
    # The log's agents are simulated.
    sed -i 's/^runtime = .*/runtime = "sim"/' "$root/.shiftboss/config.toml"
fi

times=$(mktemp)
(cd "$root" && /usr/bin/time -v "$bin" status --json >/dev/null 2>"$times")
cpu() { awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.0f ms CPU", (u+s)*1000}' "$1"; }
echo "status: peak $(awk -F': ' '/Maximum resident/ {printf "%.0f MB", $2/1024}' "$times"), $(cpu "$times"), $(awk -F': ' '/Elapsed/ {print $2}' "$times") wall"
rm -f "$times"

copy=$(mktemp -d)
cp -a "$root/." "$copy/"
times=$(mktemp)
# Exit 3: the log holds failed tasks.
code=0
(cd "$copy" && /usr/bin/time -v "$bin" up --simulate --headless --json --until 1s >/dev/null 2>"$times") || code=$?
[ "$code" = 0 ] || [ "$code" = 3 ] || { cat "$times" >&2; exit 1; }
echo "resume (up --simulate --headless --until 1s): peak $(awk -F': ' '/Maximum resident/ {printf "%.0f MB", $2/1024}' "$times"), $(cpu "$times"), $(awk -F': ' '/Elapsed/ {print $2}' "$times") wall"
rm -rf "$copy" "$times"

session="shiftboss-mem-$$"
tmux new-session -d -s "$session" -x 160 -y 48 -c "$root" "exec $bin up --readonly"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
pid=$(tmux list-panes -t "$session" -F '#{pane_pid}')
for _ in $(seq 1 600); do
    if tmux capture-pane -p -t "$session" | grep -q "convoy"; then break; fi
    sleep 0.1
done
tmux capture-pane -p -t "$session" | grep -q "convoy" || { echo "the console drew no frame" >&2; exit 1; }
# CPU (user + system) the console used up to its first frame, in ms.
ticks=$(getconf CLK_TCK)
first_cpu=$(awk -v t="$ticks" '{print int(($14 + $15) * 1000 / t)}' "/proc/$pid/stat")
sleep 5
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "console (up --readonly): first frame after ${first_cpu} ms CPU; steady $((rss / 1024)) MB, peak $((hwm / 1024)) MB"
