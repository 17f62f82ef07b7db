#!/usr/bin/env bash
# Installs Mallee on this Debian or Ubuntu machine and brings up an all-in-one cloud on it.
# Safe to re-run: every step checks what is already there.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: ./install.sh [--yes] [--no-cloud] [--name NAME] [--hypervisor qemu|test]

  --yes         ask nothing (install system packages without asking)
  --no-cloud    install only: do not bring up the all-in-one cloud
  --name NAME   the all-in-one cloud's name (default local); its credentials go to ~/.mallee/NAME
  --hypervisor  qemu (default: real VMs through libvirtd, KVM when /dev/kvm exists, software emulation otherwise)
                or test (libvirt's simulated hypervisor, no VMs)
EOF
}

assume_yes=0
with_cloud=1
cloud_name=local
hypervisor=qemu
while [ $# -gt 0 ]; do
  case "$1" in
    --yes | -y) assume_yes=1 ;;
    --no-cloud) with_cloud=0 ;;
    --name) cloud_name="${2:?--name needs a cloud name}"; shift ;;
    --hypervisor) hypervisor="${2:?--hypervisor needs qemu or test}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case "$hypervisor" in qemu | test) ;; *) echo "install.sh: --hypervisor is qemu or test, not $hypervisor" >&2; exit 2 ;; esac

cd "$(dirname "$0")"
step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\ninstall.sh: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
confirm() {
  [ "$assume_yes" -eq 1 ] && return 0
  [ -t 0 ] || fail "$1: run with --yes to agree without a terminal"
  read -r -p "$1 [Y/n] " answer
  case "$answer" in '' | y | Y | yes) return 0 ;; *) return 1 ;; esac
}

step "Checking the operating system"
# shellcheck disable=SC1091
. /etc/os-release
case " ${ID:-} ${ID_LIKE:-} " in
  *" debian "* | *" ubuntu "*) echo "${PRETTY_NAME:-$ID}: supported" ;;
  *) fail "${PRETTY_NAME:-this system} is not Debian or Ubuntu; Mallee's installer supports only those." ;;
esac

# Packages Mallee needs at run time (libvirt, qemu), to build its native modules (libvirt-dev, g++, make), to pack
# the bundle it deploys to hosts (zstd) and to build the smoke test's tiny guest (busybox-static, xz-utils, gzip).
packages=(ca-certificates openssh-client zstd libvirt-daemon-system libvirt-clients libvirt-dev qemu-system-x86 qemu-utils
  genisoimage g++ make python3 busybox-static xz-utils gzip)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}

step "Checking Node.js (20.19 or newer)"
if node_ok; then
  echo "node $(node --version): fine"
else
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}')
  candidate_major=$(printf '%s' "$candidate" | sed -E 's/^([0-9]+:)?([0-9]+)\..*/\2/')
  if command -v node >/dev/null 2>&1; then echo "node $(node --version) is too old."; else echo "node is not installed."; fi
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && [ "$candidate_major" -ge 20 ] 2>/dev/null; then
    echo "The distribution offers nodejs $candidate; installing it."
    missing+=(nodejs npm)
  else
    fail "Mallee needs Node.js 20.19 or newer and this distribution offers ${candidate:-none}.
Install Node.js 20 or 22 from https://nodejs.org (or with nvm: nvm install 22), make sure 'node --version'
prints v20.19 or newer, then run ./install.sh again."
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  step "Installing system packages: ${missing[*]}"
  confirm "Install ${#missing[@]} packages with apt-get?" || fail "Mallee cannot run without them."
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  node_ok || fail "node $(node --version 2>/dev/null) is still older than 20.19 after installing; see https://nodejs.org"
else
  step "System packages: all present"
fi

step "Installing Mallee's npm dependencies"
# Native modules (libvirt, sqlite) build against Node's headers; use the installed ones rather than downloading them.
node_prefix=$(dirname "$(dirname "$(command -v node)")")
if [ -z "$(npm config get nodedir 2>/dev/null | grep -v '^undefined$')" ] && [ -f "$node_prefix/include/node/node.h" ]; then
  export npm_config_nodedir="$node_prefix"
fi
if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "node_modules is up to date"
else
  npm ci --no-audit --no-fund
fi

step "Building"
npm run build --silent

step "Putting faststart and cloudctl on PATH"
if [ "$(id -u)" -eq 0 ]; then bin_dir=/usr/local/bin; else bin_dir="${HOME}/.local/bin"; fi
mkdir -p "$bin_dir"
for cli in faststart cloudctl; do
  ln -sfn "$PWD/bin/$cli.js" "$bin_dir/$cli"
  echo "$bin_dir/$cli -> $PWD/bin/$cli.js"
done
case ":$PATH:" in *":$bin_dir:"*) ;; *) echo "Add $bin_dir to your PATH: export PATH=\"$bin_dir:\$PATH\"" ;; esac
faststart=("$PWD/bin/faststart.js")
cloud_dir="${MALLEE_HOME:-${HOME}/.mallee}/$cloud_name"

if [ "$with_cloud" -eq 0 ]; then
  step "Installed. Bring up a cloud on this machine with: faststart install --all-in-one --yes"
  exit 0
fi

step "Bringing up the all-in-one cloud \"$cloud_name\" (hypervisor: $hypervisor)"
# The installer's own steps are idempotent: a re-run finishes what is missing and leaves a running cloud alone.
"${faststart[@]}" install --all-in-one --yes --name "$cloud_name" --hypervisor "$hypervisor"
cat <<EOF

Mallee is installed. Next:
  source $cloud_dir/eucarc   the aws CLI on this cloud (profile, endpoints and the cloud CA)
  cloudctl --help                    day-2 operations on a cloud (commands take --cloud $cloud_name)
  faststart --help                   install a cloud on your servers
  faststart uninstall --name $cloud_name   remove it again (data stays unless --purge)
  npm test                           the test suite
EOF
