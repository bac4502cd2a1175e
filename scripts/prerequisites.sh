#!/usr/bin/env bash
# Installs what RnnSweep needs from Debian's packages, once: the PostgreSQL server (unless RNNSWEEP_CONNECTION
# names one), tcmalloc for the Workers and, for the tests, Chromium for the browser tests and python3-torch for the model-export test. NuGet packages come with `dotnet build`;
# the libtorch load fix for Debian 12 is applied by the build itself (src/Worker/build/TorchSharpElfFix.targets).
set -euo pipefail
what="${1:-runtime}"
need=()

if [[ -z "${RNNSWEEP_CONNECTION:-}" ]] && ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null && ! command -v pg_ctl >/dev/null; then
  need+=(postgresql)
fi
if [[ "$what" == "test" ]] && [[ ! -x /usr/bin/chromium ]]; then
  need+=(chromium)
fi
# The model-export test loads an exported model with stock PyTorch: Debian's python3-torch (1.13 on Debian 12).
# find_spec looks the package up without importing it: `import torch` takes seconds, on every test run.
if [[ "$what" == "test" ]] && ! /usr/bin/python3 -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)" >/dev/null 2>&1; then
  need+=(python3-torch)
fi
# The deploy tests validate the compose file with Debian's docker-compose (no Docker engine is needed for that).
if [[ "$what" == "test" ]] && ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then
  need+=(docker-compose)
fi
if ((${#need[@]})); then
  echo "Installing ${need[*]} (apt-get)..." >&2
  sudo_cmd=()
  [[ "$(id -u)" != 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts a system-wide cluster on install; RnnSweep runs its own private one, so leave that alone.
fi
# The Workers' allocator: tcmalloc, which the Orchestrator preloads into each Worker when it finds it (WorkerAllocator
# looks in these folders), unless RNNSWEEP_ALLOCATOR=glibc. Best effort: without it Workers run on glibc's malloc.
# The package is libtcmalloc-minimal4t64 on Ubuntu 24.04 and later, libtcmalloc-minimal4 before.
tcmalloc_found=""
for dir in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib; do
  if [[ -f "$dir/libtcmalloc_minimal.so.4" ]]; then tcmalloc_found=1; fi
done
if [[ "${RNNSWEEP_ALLOCATOR:-}" != glibc && -z "$tcmalloc_found" ]] && command -v apt-get >/dev/null; then
  sudo_cmd=()
  [[ "$(id -u)" != 0 ]] && sudo_cmd=(sudo -n)
  echo "Installing tcmalloc (apt-get) for the Workers' allocator..." >&2
  if ! { "${sudo_cmd[@]}" apt-get update -qq >/dev/null 2>&1 \
      && package="$(apt-cache show libtcmalloc-minimal4t64 >/dev/null 2>&1 && echo libtcmalloc-minimal4t64 || echo libtcmalloc-minimal4)" \
      && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$package" >/dev/null 2>&1; }; then
    echo "warning: could not install tcmalloc: Workers will allocate with glibc's malloc (slower training; docs/benchmarks.md, \"Allocator\")" >&2
  fi
fi
if ! command -v dotnet >/dev/null; then
  echo "error: the .NET 10 SDK is required (https://dot.net); dotnet is not on PATH" >&2
  exit 1
fi
