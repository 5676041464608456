#!/usr/bin/env bash
# Makes the pictures of the console in this folder from the built-in
# standard day (deterministic: the same pictures every time).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/shiftboss
[ -x "$bin" ] || cargo build --release
shot() { "$bin" screenshot --agents 12 --width 160 --height 48 "$@"; }
shot --at 3h --view floor --out screenshots/floor.svg
shot --at 3h --view agent --out screenshots/agent.svg
shot --at 3h --view help --out screenshots/help.svg
shot --at 4h --view inbox --out screenshots/inbox.svg
shot --at 4h --view floor --theme light --out screenshots/floor-light.svg
shot --at 3h --view floor --out screenshots/floor.txt
# The team day: the watchdog folds each team's agents under its lead, a team
# waiting for an earlier phase included, and the agents of no team under "no team".
"$bin" screenshot --scenario teams-day --width 160 --height 48 --at 3h --view floor --out screenshots/floor-teams.svg
"$bin" screenshot --scenario teams-day --width 160 --height 48 --at 3h --view floor --out screenshots/floor-teams.txt
# The review screens, in UTC.
TZ=UTC shot --at 8h --view evening --out screenshots/review-evening.svg
TZ=UTC shot --at 8h --view morning --out screenshots/review-morning.svg
TZ=UTC shot --at 8h --view evening --out screenshots/review-evening.txt
TZ=UTC shot --at 8h --view morning --out screenshots/review-morning.txt
# The evening report of the standard day (30 agents), in UTC.
day=$(mktemp -d)
"$bin" demo --headless --agents 30 --state-dir "$day" >/dev/null || [ $? -eq 3 ]
(cd "$day" && TZ=UTC "$OLDPWD/$bin" report --since morning --format markdown) > screenshots/report-standard-day.md
rm -rf "$day"
