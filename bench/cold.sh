#!/usr/bin/env bash
# A fresh machine's set-up times: README's first command and `.ci/run`, each in a new clone of
# this checkout's HEAD with an empty target directory, an empty cargo registry and an empty
# home (no pip, npm or Python environments cached), as CI's first run has. The Debian packages
# `scripts/test` installs are already on this machine, so their time is measured apart: the
# packages apt would install on a minimal Debian (only required and important packages, with
# what they depend on), downloaded into an empty cache and unpacked. Run by hand, as root, on a
# quiet machine; it uses about 15 GB under /tmp.
#   bench/cold.sh
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
rev=$(git rev-parse HEAD)
work=$(mktemp -d /tmp/uxt-cold.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
toolchain_bin=$(dirname "$(command -v cargo)")
rustup_home=$(rustup show home)
seconds() { local start=$1; echo $(($(date +%s) - start)); }

# A new clone and a home of its own: cargo's registry, ~/.cache/uxt and pip's cache start empty.
fresh() {
  local dir=$work/$1
  mkdir -p "$dir/home"
  git clone -q "$root" "$dir/repo" && git -C "$dir/repo" checkout -q "$rev"
  cd "$dir/repo" || exit 1
  export HOME=$dir/home CARGO_HOME=$dir/home/.cargo RUSTUP_HOME=$rustup_home
  export PATH=$toolchain_bin:$PATH
  unset CARGO_TARGET_DIR
}

echo "commit $rev, $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"

(
  fresh readme
  start=$(date +%s)
  cargo run -- simulate --days 30 >"$work/readme.log" 2>&1 && cargo run -- build >>"$work/readme.log" 2>&1
  rc=$?
  echo "README's first command (cargo run -- simulate --days 30 && cargo run -- build): exit $rc in $(seconds "$start") s"
  grep -h 'Done. PASS' "$work/readme.log"
)

(
  fresh ci
  start=$(date +%s)
  .ci/run >"$work/ci.log" 2>&1
  rc=$?
  echo ".ci/run: exit $rc in $(seconds "$start") s"
  grep -hE 'test result|green cases pass|conformance:' "$work/ci.log"
  ((rc == 0)) || tail -40 "$work/ci.log"
)

# The Debian packages scripts/test installs when they are missing, with their dependencies and
# recommends, as apt resolves them on a minimal system.
packages=(postgresql-15 openssl chromium nodejs npm tzdata python3 python3-venv faketime)
python3 - "$work/status" <<'PY'
import re, sys
stanzas = [s for s in open('/var/lib/dpkg/status').read().split('\n\n') if s.strip()]
by_name = {}
for s in stanzas:
    by_name.setdefault(re.search(r'^Package: (\S+)', s, re.M).group(1), []).append(s)
def depends(stanza):
    for field in ('Depends', 'Pre-Depends'):
        found = re.search(r'^' + field + r': (.*)$', stanza, re.M)
        for alternatives in (found.group(1).split(',') if found else []):
            names = [a.strip().split(' ')[0].split(':')[0] for a in alternatives.split('|')]
            yield next((n for n in names if n in by_name), None)
base = {name for name, ss in by_name.items()
        if any(re.search(r'^(Priority: (required|important)|Essential: yes)$', s, re.M) for s in ss)}
todo = list(base)
while todo:
    for stanza in by_name[todo.pop()]:
        for dep in depends(stanza):
            if dep and dep not in base:
                base.add(dep)
                todo.append(dep)
open(sys.argv[1], 'w').write('\n\n'.join(s for n in sorted(base) for s in by_name[n]) + '\n')
PY
mkdir -p "$work/apt/partial" "$work/unpacked"
start=$(date +%s)
apt-get -o Dir::State::status="$work/status" -o Dir::Cache::archives="$work/apt" \
  -o Debug::NoLocking=1 --download-only -y -qq install "${packages[@]}" >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; exit 1; }
downloaded=$(seconds "$start")
start=$(date +%s)
for deb in "$work"/apt/*.deb; do dpkg-deb -x "$deb" "$work/unpacked"; done
echo "apt: $(ls "$work"/apt/*.deb | wc -l) packages, $(du -sh "$work/apt" | cut -f1) downloaded in $downloaded s, unpacked in $(seconds "$start") s (dpkg's configure scripts not included)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
