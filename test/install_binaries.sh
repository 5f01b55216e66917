#!/usr/bin/env bash
# Installs what the test suites need and a fresh machine lacks: openssl and
# setpriv, etcd (Debian etcd-server), kube-apiserver (built once from Debian's
# kubernetes source package and cached under ~/.cache), and kubectl when the
# image has none. Idempotent: a second run finds everything and does nothing.
# Prints the paths it settled on as shell assignments on its last lines.
set -euo pipefail

KUBE_SRC_VERSION="1.20.2"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/deno-kubernetes-transport"
BIN="$CACHE/kubernetes-$KUBE_SRC_VERSION/bin"
mkdir -p "$BIN"

log() { echo "[install] $*" >&2; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# --- tools the harness calls -----------------------------------------------
missing_pkgs=()
command -v openssl >/dev/null 2>&1 || missing_pkgs+=(openssl)
command -v setpriv >/dev/null 2>&1 || missing_pkgs+=(util-linux)
if [ "${#missing_pkgs[@]}" -gt 0 ]; then
  log "installing ${missing_pkgs[*]} from Debian"
  apt_install "${missing_pkgs[@]}"
fi

# --- etcd -------------------------------------------------------------------
if [ -z "${ETCD_BIN:-}" ] && ! command -v etcd >/dev/null 2>&1; then
  log "installing etcd-server from Debian"
  apt_install etcd-server etcd-client
fi

# --- kube-apiserver (and kubectl when the image lacks it) -------------------
# KUBE_APISERVER_BIN / ETCD_BIN / KUBECTL_BIN point the suite at your own binaries.
need_build=()
if [ -z "${KUBE_APISERVER_BIN:-}" ] && [ ! -x "$BIN/kube-apiserver" ]; then
  need_build+=(cmd/kube-apiserver)
fi
if [ -z "${KUBECTL_BIN:-}" ] && ! command -v kubectl >/dev/null 2>&1 && [ ! -x "$BIN/kubectl" ]; then
  need_build+=(cmd/kubectl)
fi
if [ "${#need_build[@]}" -gt 0 ]; then
  log "building ${need_build[*]} from Debian's kubernetes $KUBE_SRC_VERSION source (a few minutes, once)"
  apt_install golang-go rsync make dpkg-dev ca-certificates
  if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    cat >/etc/apt/sources.list.d/deb-src-bookworm.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  fi
  work="$CACHE/src"
  rm -rf "$work"; mkdir -p "$work"
  (cd "$work" && apt-get source -qq --download-only kubernetes >&2 && dpkg-source -x --no-check kubernetes_*.dsc tree >&2)
  tree="$work/tree"
  mkdir -p "$tree/.go/src/k8s.io"
  ln -sfn "$tree" "$tree/.go/src/k8s.io/kubernetes"
  for what in "${need_build[@]}"; do
    (cd "$tree/.go/src/k8s.io/kubernetes" && GOPATH="$tree/.go" GO111MODULE=off CGO_ENABLED=0 GOFLAGS= \
      make WHAT="$what" >&2)
    name=$(basename "$what")
    cp "$(find "$tree/_output" -type f -name "$name" -perm -u+x | head -n1)" "$BIN/$name"
  done
  rm -rf "$work"
fi

echo "KUBE_APISERVER_BIN=$BIN/kube-apiserver"
echo "ETCD_BIN=$(command -v etcd)"
if command -v kubectl >/dev/null 2>&1; then echo "KUBECTL_BIN=$(command -v kubectl)"; else echo "KUBECTL_BIN=$BIN/kubectl"; fi
