#!/usr/bin/env bash
# The "Linux at full size" figure of docs/benchmarks.md: store linux-full (every .c and .h of the kernel, 1.18 GB,
# more than PostgreSQL's 1 GB field limit) from Debian's linux-source-6.1 tarball, then let one Worker with an empty
# cache train one epoch of an LSTM 1 x 128 on a capped number of characters of it. Prints the time to store, the
# Worker's time to load (fetch the chunks to disk, encode) and its peak resident memory (VmHWM).
# Needs `apt-get install linux-source-6.1` (or Corpora__LinuxTarball); takes tens of minutes on a loaded 2-core machine.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
export RNNSWEEP_HOME="${RNNSWEEP_HOME:-$PWD/.rnnsweep}"
chars="${EPOCH_CHARS:-1000000}"
work="$(mktemp -d)"
trap 'kill "$worker_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
worker_pid=""

./rnnsweep db start >/dev/null
cat >"$work/spec.json" <<JSON
{ "name": "linux-full bench $chars", "corpus": "linux-full", "models": ["lstm"], "layers": [1], "hiddenSizes": [128],
  "queue": "linuxbench",
  "hyperparameters": { "maxEpochs": 1, "epochChars": $chars, "trainFraction": 0.998, "valFraction": 0.001, "testFraction": 0.001 } }
JSON
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/submit.rss" ./rnnsweep submit --spec "$work/spec.json" 2>&1 | tail -n 3
stored=$(date +%s.%N)
echo "store: $(echo "$stored - $start" | bc) s wall, submit process peak RSS $(( $(cat "$work/submit.rss") / 1024 )) MiB"

psql_url="$(./rnnsweep db status 2>/dev/null | grep -o 'postgresql://[^ ]*' | head -n 1)"
RNNSWEEP_CONNECTION="$psql_url" Worker__Queues__0=linuxbench Worker__CacheDir="$work/cache" Worker__TorchThreads=2 \
  Worker__Name=linuxbench DOTNET_gcServer=0 MALLOC_ARENA_MAX=1 THP_MEM_ALLOC_ENABLE=1 \
  dotnet src/Worker/bin/Release/net10.0/linux-x64/RnnSweep.Worker.dll >"$work/worker.log" 2>&1 &
worker_pid=$!
peak=0
while sleep 2; do
  kb=$(awk '/VmHWM/ {print $2}' "/proc/$worker_pid/status" 2>/dev/null || echo 0)
  status=$(psql "$psql_url" -Atc "select r.status from runs r join sweeps s on s.id = r.sweep_id where s.name = 'linux-full bench $chars' order by r.id desc limit 1")
  if [[ "$status" =~ ^(succeeded|failed|diverged)$ ]]; then peak=$kb; break; fi
done
finished=$(date +%s.%N)
grep -E "Corpus .* ready|Epoch|epoch" "$work/worker.log" | head -n 5 || true
psql "$psql_url" -Atc "select 'run ' || r.id || ' ' || r.status || ' train ' || round(r.train_loss::numeric, 3) || ' val ' || round(r.val_loss::numeric, 3) || ' test ' || round(r.test_loss::numeric, 3) from runs r join sweeps s on s.id = r.sweep_id where s.name = 'linux-full bench $chars'"
echo "worker: run finished $(echo "$finished - $stored" | bc) s after the store; peak resident memory (VmHWM) $((peak / 1024)) MiB"
