#!/usr/bin/env bash
# Builds the test environment's real components from the package registries into the user's
# cache directory: Kubernetes (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl) and etcd from Go modules, KWOK, sops, kustomize, helm and the OCI registry
# (distribution) with `go install`, and moto in a Python virtualenv. Each component is keyed
# by its version (and by the hash of its wrapper module), reused when present and rebuilt when
# not. Safe to run again; prints what it did.
# Debian's headless Chromium (the status page's browser tests) is installed with apt-get as
# root when missing.
#
# Also: the oldest Node.js the npm package supports (from the npm registry's node-linux-*
# package) and systemd-analyze (Debian's systemd package) for checking the service unit.
#
# Debian packages (OpenSSH's server and nginx, for host targets) are installed with apt-get as
# root when their binaries are missing, without starting their services.
#
# Usage: bash test/env/install.sh [--print-root] [component ...]
#   components: kubernetes etcd kwok sops kustomize helm registry moto node systemd hosts chromium (default: all)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache_root=${PLUMBLINE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/plumbline}
root="$cache_root/testenv"
if [[ "${1:-}" == "--print-root" ]]; then
  echo "$root"
  exit 0
fi

fail() {
  echo "plumbline test environment: $*" >&2
  exit 1
}
log() { echo "[testenv $(date +%H:%M:%S)] $*" >&2; }

version_ge() { # version_ge HAVE WANT: true when HAVE >= WANT (dotted numbers)
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

check_go() {
  command -v go >/dev/null 2>&1 ||
    fail "Go is not installed. Install Go $GO_MIN_VERSION or later (https://go.dev/doc/install, or your distribution's golang package) and run 'npm test' again."
  local have
  have=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null | sed 's/^go//')
  version_ge "$have" "$GO_MIN_VERSION" ||
    fail "Go $have is too old: the Kubernetes $KUBERNETES_VERSION modules need Go $GO_MIN_VERSION or later. Upgrade Go and run 'npm test' again."
}

check_python() {
  command -v python3 >/dev/null 2>&1 ||
    fail "Python 3 is not installed. Install Python $PYTHON_MIN_VERSION or later with the venv module (Debian: apt-get install python3 python3-venv) and run 'npm test' again."
  local have
  have=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  version_ge "$have" "$PYTHON_MIN_VERSION" ||
    fail "Python $have is too old: moto $MOTO_VERSION needs Python $PYTHON_MIN_VERSION or later."
  python3 -c 'import venv, ensurepip' 2>/dev/null ||
    fail "Python $have has no venv/ensurepip module (Debian: apt-get install python3-venv)."
}

# Hash of a wrapper module's files, so editing go.mod rebuilds the component.
module_hash() { (cd "$1" && find . -maxdepth 1 -type f \( -name 'go.*' -o -name '*.go' \) -print0 | sort -z | xargs -0 cat) | sha256sum | cut -c1-12; }

# A component directory is complete when its stamp exists; a failed build leaves none.
done_already() { [[ -f "$1/.complete" ]]; }
mark_done() { date -u +%FT%TZ >"$1/.complete"; }

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
go_build_flags=(-trimpath -tags selinux,notest,grpcnotrace)

build_kubernetes() {
  local mod="$here/go/kube" dir
  dir="$root/kubernetes-$KUBERNETES_VERSION-$(module_hash "$mod")"
  if done_already "$dir"; then log "kubernetes $KUBERNETES_VERSION: cached"; return; fi
  log "kubernetes $KUBERNETES_VERSION: building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (cold: 15-30 min on 2 cores)"
  rm -rf "$dir" && mkdir -p "$dir/bin"
  local minor=${KUBERNETES_VERSION#v1.}
  minor=${minor%%.*}
  local ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$mod" && go build "${go_build_flags[@]}" -ldflags "$ld" -o "$dir/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  mark_done "$dir"
}

build_etcd() {
  local mod="$here/go/etcd" dir
  dir="$root/etcd-$ETCD_VERSION-$(module_hash "$mod")"
  if done_already "$dir"; then log "etcd $ETCD_VERSION: cached"; return; fi
  log "etcd $ETCD_VERSION: building"
  rm -rf "$dir" && mkdir -p "$dir/bin"
  (cd "$mod" && go build "${go_build_flags[@]}" -ldflags "-s -w" -o "$dir/bin/etcd" .)
  mark_done "$dir"
}

go_install() { # go_install NAME MODULE_PATH PACKAGE VERSION
  local name=$1 pkg=$3 version=$4 dir
  dir="$root/$name-$version"
  if done_already "$dir"; then log "$name $version: cached"; return; fi
  log "$name $version: building"
  rm -rf "$dir" && mkdir -p "$dir/bin"
  (cd "$dir" && GOBIN="$dir/bin" GOFLAGS= go install -trimpath -ldflags "-s -w" "$pkg@$version")
  mark_done "$dir"
}

# KWOK needs Stage objects to move fake nodes and pods along; they ship in its module, so copy
# the ones the tests use next to the binary (the module cache may be cleaned later).
install_kwok() {
  local dir="$root/kwok-$KWOK_VERSION"
  if done_already "$dir"; then log "kwok $KWOK_VERSION: cached"; return; fi
  go_install kwok sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION"
  rm -f "$dir/.complete"
  local src
  src="$(GOFLAGS= go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')/kustomize/stage"
  [[ -d "$src" ]] || fail "kwok $KWOK_VERSION: stage files not found in the module cache ($src)."
  mkdir -p "$dir/stages"
  cp "$src/node/fast/node-initialize.yaml" "$src/node/heartbeat/node-heartbeat.yaml" \
    "$src/pod/fast/pod-ready.yaml" "$src/pod/fast/pod-complete.yaml" "$src/pod/fast/pod-delete.yaml" \
    "$dir/stages/"
  mark_done "$dir"
}

# helm's version and its default Capabilities.KubeVersion are set at link time; build them as
# helm's own Makefile does, so the binary renders exactly as a released helm of that version.
build_helm() {
  local dir="$root/helm-$HELM_VERSION"
  if done_already "$dir"; then log "helm $HELM_VERSION: cached"; return; fi
  log "helm $HELM_VERSION: building"
  rm -rf "$dir" && mkdir -p "$dir/bin"
  local ld="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ld+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  local kube=${HELM_KUBE_MODULES_VERSION#v0.}
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ld+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=${kube%%.*}"
  done
  (cd "$dir" && GOBIN="$dir/bin" GOFLAGS= go install -trimpath -ldflags "$ld" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  mark_done "$dir"
}

install_moto() {
  local dir="$root/moto-$MOTO_VERSION"
  if done_already "$dir"; then log "moto $MOTO_VERSION: cached"; return; fi
  log "moto $MOTO_VERSION: creating virtualenv"
  rm -rf "$dir"
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  mkdir -p "$dir/bin" && ln -sf ../venv/bin/moto_server "$dir/bin/moto_server"
  mark_done "$dir"
}

# Debian's chromium-headless-shell, the browser the status page tests drive through
# playwright-core (never a browser build downloaded by a test tool). Installed with apt-get as
# root at the pinned major version when the binary is missing or another major; the stamp
# records the version found, so a later run only checks it.
install_chromium() {
  local stamp="$root/chromium-$CHROMIUM_MAJOR"
  chromium_major() { "$CHROMIUM_BINARY" --version 2>/dev/null | sed -n 's/^Chromium \([0-9]*\)\..*/\1/p'; }
  if done_already "$stamp" && [[ -x "$CHROMIUM_BINARY" && "$(chromium_major)" == "$CHROMIUM_MAJOR" ]]; then
    log "chromium-headless-shell $CHROMIUM_MAJOR (Debian): cached"; return
  fi
  if [[ ! -x "$CHROMIUM_BINARY" || "$(chromium_major)" != "$CHROMIUM_MAJOR" ]]; then
    [[ $(id -u) -eq 0 ]] ||
      fail "chromium-headless-shell $CHROMIUM_MAJOR is missing and this is not root: run 'sudo apt-get install chromium-headless-shell=$CHROMIUM_MAJOR.*' and run 'npm test' again."
    command -v apt-get >/dev/null 2>&1 ||
      fail "chromium-headless-shell is missing and there is no apt-get: install Chromium $CHROMIUM_MAJOR's headless shell as $CHROMIUM_BINARY."
    log "chromium-headless-shell: apt-get install chromium-headless-shell=$CHROMIUM_MAJOR.*"
    mkdir -p "$root"
    local package="chromium-headless-shell=$CHROMIUM_MAJOR.*"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package" ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package"; }
    } >"$root/chromium-install.log" 2>&1 || {
      cat "$root/chromium-install.log" >&2
      fail "apt-get could not install $package (log above). If Debian moved on to a newer major, raise CHROMIUM_MAJOR in test/env/versions.env and check that playwright-core drives it."
    }
    [[ "$(chromium_major)" == "$CHROMIUM_MAJOR" ]] ||
      fail "$CHROMIUM_BINARY reports '$("$CHROMIUM_BINARY" --version 2>&1)', not Chromium $CHROMIUM_MAJOR."
  fi
  rm -rf "$stamp" && mkdir -p "$stamp"
  "$CHROMIUM_BINARY" --version >"$stamp/version"
  log "chromium-headless-shell: $(cat "$stamp/version") at $CHROMIUM_BINARY"
  mark_done "$stamp"
}

# The package's minimum Node.js, as the registry ships it (node-linux-<arch>, the binary the
# `node` package installs): the package tests install and run Plumbline on it.
install_node_minimum() {
  local dir="$root/node-$NODE_MINIMUM_VERSION" arch
  if done_already "$dir"; then log "node $NODE_MINIMUM_VERSION: cached"; return; fi
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "node $NODE_MINIMUM_VERSION: no node-linux package for $(uname -m)." ;;
  esac
  command -v npm >/dev/null 2>&1 || fail "npm is not installed: it brings Node $NODE_MINIMUM_VERSION from the npm registry."
  log "node $NODE_MINIMUM_VERSION: installing node-linux-$arch from the npm registry"
  rm -rf "$dir" && mkdir -p "$dir/pack"
  (cd "$dir/pack" && npm pack --silent "node-linux-$arch@$NODE_MINIMUM_VERSION" >/dev/null)
  tar -xzf "$dir"/pack/*.tgz -C "$dir/pack"
  mkdir -p "$dir/bin" && mv "$dir/pack/package/bin/node" "$dir/bin/node" && rm -rf "$dir/pack"
  [[ "$("$dir/bin/node" --version)" == "v$NODE_MINIMUM_VERSION" ]] ||
    fail "node $NODE_MINIMUM_VERSION: the installed binary reports $("$dir/bin/node" --version)."
  mark_done "$dir"
}

# systemd-analyze checks infra/systemd/plumbline.service; Debian's systemd package has it.
ensure_systemd_analyze() {
  if command -v systemd-analyze >/dev/null 2>&1; then log "systemd-analyze: present"; return; fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "systemd-analyze: installing Debian's systemd package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
  fi
  command -v systemd-analyze >/dev/null 2>&1 ||
    fail "systemd-analyze is not installed (Debian: apt-get install systemd); the service unit's test needs it."
}

# sshd and nginx for host targets: Debian's packages, installed once as root with apt-get when
# their binaries are missing (the stamp records the versions found). Their services are never
# started: the tests run their own sshd and nginx from temporary directories.
install_hosts() {
  local stamp="$root/hosts-$HOSTS_PACKAGES_KEY"
  if done_already "$stamp" && [[ -x "$SSHD_BINARY" && -x "$NGINX_BINARY" ]]; then
    log "sshd and nginx (Debian): cached"; return
  fi
  if [[ ! -x "$SSHD_BINARY" || ! -x "$NGINX_BINARY" ]]; then
    [[ $(id -u) -eq 0 ]] ||
      fail "sshd or nginx is missing and this is not root: run 'sudo apt-get install openssh-server nginx' (the tests never use their services) and run 'npm test' again."
    command -v apt-get >/dev/null 2>&1 ||
      fail "sshd or nginx is missing and there is no apt-get: install OpenSSH's server and nginx with your package manager ($SSHD_BINARY, $NGINX_BINARY)."
    log "sshd and nginx: apt-get install openssh-server nginx"
    # Keep the packages from starting their services (port 22 and 80) while they install.
    local policy=/usr/sbin/policy-rc.d added=
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
    fi
    local status=0
    { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server nginx ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server nginx; }
    } >"$root/hosts-install.log" 2>&1 || status=$?
    [[ -n "$added" ]] && rm -f "$policy"
    if [[ $status -ne 0 ]]; then
      cat "$root/hosts-install.log" >&2
      fail "apt-get could not install openssh-server and nginx (log above)."
    fi
  fi
  rm -rf "$stamp" && mkdir -p "$stamp"
  dpkg-query -W -f '${Package} ${Version}\n' openssh-server nginx >"$stamp/versions" 2>/dev/null || true
  mark_done "$stamp"
}

build() {
  case "$1" in
    kubernetes) build_kubernetes ;;
    etcd) build_etcd ;;
    kwok) install_kwok ;;
    sops) go_install sops github.com/getsops/sops/v3 github.com/getsops/sops/v3/cmd/sops "$SOPS_VERSION" ;;
    kustomize) go_install kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" ;;
    helm) build_helm ;;
    registry) go_install registry github.com/distribution/distribution/v3 github.com/distribution/distribution/v3/cmd/registry "$REGISTRY_VERSION" ;;
    moto) install_moto ;;
    node) install_node_minimum ;;
    systemd) ensure_systemd_analyze ;;
    hosts) install_hosts ;;
    chromium) install_chromium ;;
    *) fail "unknown component '$1' (known: kubernetes etcd kwok sops kustomize helm registry moto node systemd hosts chromium)" ;;
  esac
}

main() {
  check_go
  mkdir -p "$root"
  local start=$SECONDS
  if [[ $# -gt 0 ]]; then
    for component in "$@"; do
      [[ "$component" == moto ]] && check_python
      build "$component"
    done
    return
  fi
  check_python
  # moto installs from PyPI while Go compiles: the network and the CPU overlap.
  install_moto >"$root/moto-install.log" 2>&1 &
  local moto_pid=$!
  for component in etcd kubernetes kwok sops kustomize helm registry node systemd hosts; do build "$component"; done
  if ! wait "$moto_pid"; then
    cat "$root/moto-install.log" >&2
    fail "moto $MOTO_VERSION did not install into a virtualenv (log above)."
  fi
  install_chromium
  log "ready in $((SECONDS - start)) s: $root"
}

main "$@"
