#!/usr/bin/env bash
# Try qobserve as a new user would: a fresh clone in a temporary directory, a fresh
# virtual environment, the README's two commands and every README python snippet,
# with the time of each step. Not run by CI: it clones, installs and runs the whole
# test suite, which takes minutes.
#
# Usage: bash scripts/try-as-newcomer.sh [--skip-tests] [--free-ports] [--keep] [REPO]
#   --skip-tests  run everything except `bash scripts/test.sh` (the full suite)
#   --free-ports  `qobserve demo --port 0` and snippets on a free port instead of
#                 9464 (for a machine where something else serves 9464)
#   --keep        leave the temporary directory for a look afterwards
#   REPO          what to clone (default: the repository holding this script)
set -euo pipefail

skip_tests=0 free_ports=0 keep=0 repo=""
for arg in "$@"; do
  case "$arg" in
    --skip-tests) skip_tests=1 ;;
    --free-ports) free_ports=1 ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "error: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) repo="$arg" ;;
  esac
done
repo="${repo:-$(git -C "$(dirname "$0")" rev-parse --show-toplevel)}"
python="${PYTHON:-python3}"

work="$(mktemp -d "${TMPDIR:-/tmp}/qobserve-newcomer.XXXXXX")"
if [ "$keep" -eq 0 ]; then trap 'rm -rf "$work"' EXIT; fi
log="$work/log"
mkdir -p "$log"
times=()
failed=0

# step NAME COMMAND...: run it, keep its output in $log, print and remember its time.
step() {
  local name="$1" start end status out
  shift
  out="$log/${name//[^A-Za-z0-9.-]/_}.txt"
  start=$(date +%s.%N)
  if "$@" >"$out" 2>&1; then status=ok; else status="FAILED ($?)"; failed=1; fi
  end=$(date +%s.%N)
  local took
  took=$(awk "BEGIN { printf \"%.1f\", $end - $start }")
  times+=("$(printf '%-34s %7s s  %s' "$name" "$took" "$status")")
  echo "${times[-1]}"
  if [ "$status" != ok ]; then tail -n 20 "$out" | sed 's/^/    | /'; fi
}

echo "trying $repo as a newcomer in $work ($("$python" --version), $(nproc) CPUs)"
step "git clone" git clone --quiet "$repo" "$work/qobserve"
cd "$work/qobserve"
step "python -m venv .venv" "$python" -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
demo=(qobserve demo)
[ "$free_ports" -eq 1 ] && demo+=(--port 0)
demo_log="${demo[*]}"
demo_log="$log/${demo_log//[^A-Za-z0-9.-]/_}.txt"
step "bash scripts/setup.sh" bash scripts/setup.sh
step "${demo[*]}" "${demo[@]}"
if [ "$skip_tests" -eq 1 ]; then
  times+=("$(printf '%-34s %7s    %s' "bash scripts/test.sh" "-" "skipped (--skip-tests)")")
  echo "${times[-1]}"
else
  step "bash scripts/test.sh" bash scripts/test.sh -q
fi
port=()
[ "$free_ports" -eq 1 ] && port=(--port 0)
python scripts/readme_snippets.py README.md "$work/snippets" "${port[@]}" >"$log/snippets.txt"
while read -r snippet; do
  step "README $(basename "$snippet" .py)" python "$snippet"
done <"$log/snippets.txt"

echo
echo "summary ($(git rev-parse --short HEAD)):"
printf '  %s\n' "${times[@]}"
echo "last lines of the demo:"
tail -n 12 "$demo_log" | sed 's/^/    | /'
while read -r snippet; do
  echo "last lines of README $(basename "$snippet" .py):"
  tail -n 3 "$log/README_$(basename "$snippet" .py).txt" | sed 's/^/    | /'
done <"$log/snippets.txt"
[ "$keep" -eq 1 ] && echo "kept: $work (logs in $log)"
exit "$failed"
