#!/usr/bin/env bash
# Installs what the test suites need and a fresh machine lacks:
# - control plane: openssl and setpriv, etcd (Debian etcd-server), and
#   kube-apiserver built once from Debian's kubernetes 1.20.2 source package
#   (with the vendored reflect2 replaced by Debian's fixed 1.0.2: the vendored
#   1.0.1 segfaults under Go >= 1.18 on custom resources and pretty JSON);
#   kubectl from the same tree when the image has none.
# - node (skipped with KUBE_TEST_NODE=0): containerd, runc, CNI plugins and
#   busybox-static from Debian; kubelet, kube-scheduler and
#   kube-controller-manager from the same tree; a static `pause` binary from
#   the tree's build/pause/linux/pause.c.
# Everything built is cached under ~/.cache. Idempotent: a second run finds
# everything and does nothing. Prints the paths it settled on as shell
# assignments on its last lines.
set -euo pipefail

KUBE_SRC_VERSION="1.20.2"
# Bump when the build changes (the cache is keyed by it).
BUILD_TAG="${KUBE_SRC_VERSION}-reflect2fix"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/deno-kubernetes-transport"
BIN="$CACHE/kubernetes-$BUILD_TAG/bin"
mkdir -p "$BIN"
WANT_NODE="${KUBE_TEST_NODE:-1}"

log() { echo "[install] $*" >&2; }

# One install at a time per cache: a second run waits, then finds the result.
exec 9>"$CACHE/.install.lock"
if ! flock -n 9; then
  log "another install is running; waiting for it"
  flock 9
fi

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
if [ "$WANT_NODE" != 0 ]; then
  command -v containerd >/dev/null 2>&1 || missing_pkgs+=(containerd)
  command -v runc >/dev/null 2>&1 || missing_pkgs+=(runc)
  [ -x /usr/lib/cni/bridge ] || missing_pkgs+=(containernetworking-plugins)
  [ -x /bin/busybox ] || missing_pkgs+=(busybox-static)
  command -v ip >/dev/null 2>&1 || missing_pkgs+=(iproute2)
  command -v iptables >/dev/null 2>&1 || missing_pkgs+=(iptables)
  command -v mount >/dev/null 2>&1 || missing_pkgs+=(mount)
fi
if [ "${#missing_pkgs[@]}" -gt 0 ]; then
  log "installing ${missing_pkgs[*]} from Debian"
  apt_install "${missing_pkgs[@]}"
fi

# --- etcd -------------------------------------------------------------------
if [ -z "${ETCD_BIN:-}" ] && ! command -v etcd >/dev/null 2>&1; then
  log "installing etcd-server from Debian"
  apt_install etcd-server etcd-client
fi

# --- Kubernetes binaries from Debian's source -------------------------------
# KUBE_APISERVER_BIN / ETCD_BIN / KUBECTL_BIN / KUBELET_BIN point the suite at
# your own binaries; KUBEBUILDER_ASSETS at an envtest directory.
need_build=()
if [ -z "${KUBE_APISERVER_BIN:-}" ] && [ -z "${KUBEBUILDER_ASSETS:-}" ] && [ ! -x "$BIN/kube-apiserver" ]; then
  need_build+=(cmd/kube-apiserver)
fi
if [ -z "${KUBECTL_BIN:-}" ] && ! command -v kubectl >/dev/null 2>&1 && [ ! -x "$BIN/kubectl" ]; then
  need_build+=(cmd/kubectl)
fi
need_pause=0
if [ "$WANT_NODE" != 0 ]; then
  for what in kubelet kube-scheduler kube-controller-manager; do
    [ -x "$BIN/$what" ] || need_build+=("cmd/$what")
  done
  [ -x "$BIN/pause" ] || need_pause=1
fi
if [ "${#need_build[@]}" -gt 0 ] || [ "$need_pause" = 1 ]; then
  log "building ${need_build[*]:-} ${need_pause/1/pause} from Debian's kubernetes $KUBE_SRC_VERSION source (10-20 minutes on 2 cores, once)"
  apt_install golang-go rsync make dpkg-dev ca-certificates gcc libc6-dev \
    golang-github-modern-go-reflect2-dev
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
  # Pinned to bookworm: another configured suite may carry a kubectl-only source.
  (cd "$work" && apt-get source -qq --download-only kubernetes/bookworm >&2)
  (cd "$work" && dpkg-source -x --no-check kubernetes_*.dsc tree >&2)
  tree="$work/tree"
  version=$(sed -n 's/^Version: //p' "$work"/kubernetes_*.dsc | head -n1)
  case "$version" in
    "$KUBE_SRC_VERSION"*|*"really$KUBE_SRC_VERSION"*) ;;
    *) log "expected kubernetes $KUBE_SRC_VERSION source, got $version"; exit 1 ;;
  esac
  fixed=/usr/share/gocode/src/github.com/modern-go/reflect2
  if [ -d "$tree/vendor/github.com/modern-go/reflect2" ] && [ -d "$fixed" ]; then
    log "replacing vendored modern-go/reflect2 with Debian's $(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)"
    rm -rf "$tree/vendor/github.com/modern-go/reflect2"
    cp -r "$fixed" "$tree/vendor/github.com/modern-go/reflect2"
    rm -f "$tree/vendor/github.com/modern-go/reflect2/go.mod" "$tree/vendor/github.com/modern-go/reflect2/go.sum"
  fi
  mkdir -p "$tree/.go/src/k8s.io"
  ln -sfn "$tree" "$tree/.go/src/k8s.io/kubernetes"
  if [ "${#need_build[@]}" -gt 0 ]; then
    (cd "$tree/.go/src/k8s.io/kubernetes" && GOPATH="$tree/.go" GO111MODULE=off CGO_ENABLED=0 GOFLAGS= \
      make WHAT="${need_build[*]}" >&2)
    for what in "${need_build[@]}"; do
      name=$(basename "$what")
      cp "$(find "$tree/_output" -type f -name "$name" -perm -u+x | head -n1)" "$BIN/$name"
    done
  fi
  if [ "$need_pause" = 1 ]; then
    gcc -Os -static -DVERSION=v3.4-kube-test -o "$BIN/pause" "$tree/build/pause/linux/pause.c"
  fi
  rm -rf "$work"
fi

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  echo "KUBE_APISERVER_BIN=$KUBEBUILDER_ASSETS/kube-apiserver"
else
  echo "KUBE_APISERVER_BIN=$BIN/kube-apiserver"
fi
echo "ETCD_BIN=$(command -v etcd)"
if command -v kubectl >/dev/null 2>&1; then echo "KUBECTL_BIN=$(command -v kubectl)"; else echo "KUBECTL_BIN=$BIN/kubectl"; fi
if [ "$WANT_NODE" != 0 ]; then echo "KUBELET_BIN=$BIN/kubelet"; fi
