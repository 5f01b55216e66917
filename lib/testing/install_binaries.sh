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
# - with --kubectl-eras: kubectls of other releases for the kubectl transport
#   tests, unpacked (never installed) from Debian packages: bookworm's
#   kubernetes-client (1.20) and sid's kubectl (1.36 when written), fetched
#   with an apt configuration of our own so the machine's sources stay as
#   they are.
# Everything built is cached under ~/.cache. Idempotent: a second run finds
# everything and does nothing. Prints the paths it settled on as shell
# assignments on its last lines (KUBECTL_BINS: every kubectl, colon-separated).
#
# Progress: each step is one line `[2/5] building kube-apiserver, … ` with a
# heartbeat every KUBE_INSTALL_HEARTBEAT_SECONDS (30) while it runs; apt's,
# dpkg's and Go's own output goes to a log file whose path is printed, and
# its tail is printed when a step fails. KUBE_INSTALL_FAKE_BUILD=<program>
# replaces fetching and building the source (called with the bin directory
# and the targets): the seam the progress display's test uses.
set -euo pipefail

KUBE_SRC_VERSION="1.20.2"
# Bump when the build changes (the cache is keyed by it).
BUILD_TAG="${KUBE_SRC_VERSION}-reflect2fix"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/deno-kubernetes-transport"
BIN="$CACHE/kubernetes-$BUILD_TAG/bin"
mkdir -p "$BIN"
WANT_NODE="${KUBE_TEST_NODE:-1}"
WANT_ERAS=0
for arg in "$@"; do
  case "$arg" in
    --kubectl-eras) WANT_ERAS=1 ;;
    *) echo "install_binaries.sh: unknown argument $arg (expected --kubectl-eras)" >&2; exit 2 ;;
  esac
done
HEARTBEAT="${KUBE_INSTALL_HEARTBEAT_SECONDS:-30}"
LOG="$CACHE/install.log"

log() { echo "[install] $*" >&2; }

# One install at a time per cache: a second run waits, then finds the result.
exec 9>"$CACHE/.install.lock"
if ! flock -n 9; then
  log "another install is running; waiting for it"
  flock 9
fi

# --- what is missing ----------------------------------------------------------
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
if [ -z "${ETCD_BIN:-}" ] && ! command -v etcd >/dev/null 2>&1; then
  missing_pkgs+=(etcd-server etcd-client)
fi

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
need_source=0
if [ "${#need_build[@]}" -gt 0 ] || [ "$need_pause" = 1 ]; then need_source=1; fi

# Each era: a cache directory prefix, the Debian suite, the package.
ERAS=("kubectl-bookworm bookworm kubernetes-client" "kubectl-sid sid kubectl")
era_bin() { compgen -G "$CACHE/$1-*/usr/bin/kubectl" | head -n1 || true; }
need_eras=()
if [ "$WANT_ERAS" = 1 ]; then
  for era in "${ERAS[@]}"; do
    read -r prefix _ _ <<<"$era"
    [ -n "$(era_bin "$prefix")" ] || need_eras+=("$era")
  done
fi

# --- the steps ------------------------------------------------------------------
STEP=0
STEPS=0
[ "${#missing_pkgs[@]}" -gt 0 ] && STEPS=$((STEPS + 1))
if [ "$need_source" = 1 ]; then
  if [ -n "${KUBE_INSTALL_FAKE_BUILD:-}" ]; then
    STEPS=$((STEPS + 1))
  else
    STEPS=$((STEPS + 3)) # tools, source, build (pause rides with the build)
  fi
fi
STEPS=$((STEPS + ${#need_eras[@]}))

duration() {
  local s=$1
  if [ "$s" -ge 60 ]; then printf '%d m %02d s' $((s / 60)) $((s % 60)); else printf '%d s' "$s"; fi
}

# Runs one step with its output in $LOG: a line when it starts, a heartbeat
# while it runs, and when it fails the log's tail and the step's exit code.
# Ending this script (Ctrl-C, SIGTERM, a failure) ends the running step and
# what it started (apt, make, go), found by parent process id.
step_pid=""
kill_tree() {
  local child
  for child in $(pgrep -P "$1" || true); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
trap '[ -z "$step_pid" ] || kill_tree "$step_pid"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
run_step() {
  local label=$1
  shift
  STEP=$((STEP + 1))
  local head="[$STEP/$STEPS] $label"
  if [ "$STEP" = 1 ]; then
    : >"$LOG"
    log "$STEPS step(s); the raw output goes to $LOG"
  fi
  echo "$head" >&2
  printf '\n==> %s (%s)\n' "$head" "$(date -u +%FT%TZ)" >>"$LOG"
  local start=$SECONDS
  "$@" >>"$LOG" 2>&1 </dev/null &
  step_pid=$!
  local next=$((start + HEARTBEAT))
  while kill -0 "$step_pid" 2>/dev/null; do
    sleep 1
    if [ "$SECONDS" -ge "$next" ] && kill -0 "$step_pid" 2>/dev/null; then
      echo "$head — $(duration $((SECONDS - start))) so far" >&2
      next=$((next + HEARTBEAT))
    fi
  done
  local rc=0
  wait "$step_pid" || rc=$?
  step_pid=""
  if [ "$rc" = 0 ]; then
    echo "$head — done in $(duration $((SECONDS - start)))" >&2
    return 0
  fi
  echo "$head — failed after $(duration $((SECONDS - start))) with exit code $rc; the last 40 lines of $LOG:" >&2
  tail -n 40 "$LOG" | sed 's/^/  | /' >&2
  echo "$head — failed; the whole output is in $LOG" >&2
  exit "$rc"
}

apt_packages() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "$@"
}

build_tools() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends golang-go rsync make dpkg-dev \
    ca-certificates gcc libc6-dev golang-github-modern-go-reflect2-dev
}

# apt options for a configuration of our own: `line` as the only source,
# lists and cache under `conf`, the archive key Debian's keyring already
# trusts. The machine's apt sources are never changed.
private_apt() {
  local conf=$1 line=$2
  mkdir -p "$conf/state/lists/partial" "$conf/cache/archives/partial"
  : >"$conf/state/status" # no installed packages: the candidate is the suite's
  echo "$line" >"$conf/sources.list"
  PRIVATE_APT_OPTS=(-o "Dir::Etc::SourceList=$conf/sources.list" -o Dir::Etc::SourceParts=-
    -o "Dir::State=$conf/state" -o "Dir::State::status=$conf/state/status"
    -o "Dir::Cache=$conf/cache" -o APT::Sandbox::User=root)
  apt-get "${PRIVATE_APT_OPTS[@]}" update
}

WORK="$CACHE/src"
fetch_source() {
  rm -rf "$WORK"
  mkdir -p "$WORK"
  # Bookworm's source from a configuration of our own (deb-src lines are
  # not on every machine, and we add none to the machine's sources).
  private_apt "$CACHE/apt-src-bookworm" \
    "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main"
  (cd "$WORK" && apt-get "${PRIVATE_APT_OPTS[@]}" source --download-only kubernetes/bookworm)
  rm -rf "$CACHE/apt-src-bookworm"
  (cd "$WORK" && dpkg-source -x --no-check kubernetes_*.dsc tree)
  local tree="$WORK/tree" version
  version=$(sed -n 's/^Version: //p' "$WORK"/kubernetes_*.dsc | head -n1)
  case "$version" in
    "$KUBE_SRC_VERSION"*|*"really$KUBE_SRC_VERSION"*) ;;
    *) echo "expected kubernetes $KUBE_SRC_VERSION source, got $version"; exit 1 ;;
  esac
  local fixed=/usr/share/gocode/src/github.com/modern-go/reflect2
  if [ -d "$tree/vendor/github.com/modern-go/reflect2" ] && [ -d "$fixed" ]; then
    echo "replacing vendored modern-go/reflect2 with Debian's $(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)"
    rm -rf "$tree/vendor/github.com/modern-go/reflect2"
    cp -r "$fixed" "$tree/vendor/github.com/modern-go/reflect2"
    rm -f "$tree/vendor/github.com/modern-go/reflect2/go.mod" "$tree/vendor/github.com/modern-go/reflect2/go.sum"
  fi
  mkdir -p "$tree/.go/src/k8s.io"
  ln -sfn "$tree" "$tree/.go/src/k8s.io/kubernetes"
}

build_source() {
  local tree="$WORK/tree"
  if [ "${#need_build[@]}" -gt 0 ]; then
    (cd "$tree/.go/src/k8s.io/kubernetes" && GOPATH="$tree/.go" GO111MODULE=off CGO_ENABLED=0 GOFLAGS= \
      make WHAT="${need_build[*]}")
    local what name
    for what in "${need_build[@]}"; do
      name=$(basename "$what")
      cp "$(find "$tree/_output" -type f -name "$name" -perm -u+x | head -n1)" "$BIN/$name"
    done
  fi
  if [ "$need_pause" = 1 ]; then
    gcc -Os -static -DVERSION=v3.4-kube-test -o "$BIN/pause" "$tree/build/pause/linux/pause.c"
  fi
  rm -rf "$WORK"
}

# Downloads one Debian package of `suite` with an apt configuration of our
# own (sources, lists and cache under $CACHE/apt-<suite>, the archive key
# Debian's keyring already trusts) and unpacks it into $CACHE/<prefix>-<version>.
fetch_era() {
  local prefix=$1 suite=$2 pkg=$3
  local conf="$CACHE/apt-$suite"
  private_apt "$conf" \
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main"
  local opts=("${PRIVATE_APT_OPTS[@]}")
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get "${opts[@]}" download "$pkg/$suite")
  local deb version
  deb=$(ls "$tmp"/*.deb)
  version=$(dpkg-deb -f "$deb" Version)
  rm -rf "$CACHE/$prefix-$version.partial"
  dpkg -x "$deb" "$CACHE/$prefix-$version.partial"
  "$CACHE/$prefix-$version.partial/usr/bin/kubectl" version --client -o json
  mv "$CACHE/$prefix-$version.partial" "$CACHE/$prefix-$version"
  rm -rf "$tmp" "$conf"
}

if [ "${#missing_pkgs[@]}" -gt 0 ]; then
  run_step "installing ${missing_pkgs[*]} from Debian" apt_packages "${missing_pkgs[@]}"
fi
if [ "$need_source" = 1 ]; then
  targets="${need_build[*]:-}"
  targets="${targets//cmd\//}"
  [ "$need_pause" = 1 ] && targets="${targets:+$targets, }pause"
  targets="${targets// /, }"
  targets="${targets//,,/,}"
  if [ -n "${KUBE_INSTALL_FAKE_BUILD:-}" ]; then
    run_step "building $targets (KUBE_INSTALL_FAKE_BUILD)" "$KUBE_INSTALL_FAKE_BUILD" "$BIN" "${need_build[@]}"
  else
    run_step "installing Go and the build tools from Debian" build_tools
    run_step "fetching Debian's kubernetes $KUBE_SRC_VERSION source" fetch_source
    run_step "building $targets from source (10-20 minutes on 2 cores, once)" build_source
  fi
fi
for era in "${need_eras[@]}"; do
  read -r prefix suite pkg <<<"$era"
  run_step "fetching kubectl from Debian $suite ($pkg), unpacked into $CACHE" fetch_era "$prefix" "$suite" "$pkg"
done
if [ "$STEPS" -gt 0 ]; then log "done; the raw output is in $LOG"; fi

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  echo "KUBE_APISERVER_BIN=$KUBEBUILDER_ASSETS/kube-apiserver"
else
  echo "KUBE_APISERVER_BIN=${KUBE_APISERVER_BIN:-$BIN/kube-apiserver}"
fi
echo "ETCD_BIN=${ETCD_BIN:-$(command -v etcd || true)}"
if [ -n "${KUBECTL_BIN:-}" ]; then kubectl="$KUBECTL_BIN"
elif command -v kubectl >/dev/null 2>&1; then kubectl=$(command -v kubectl)
else kubectl="$BIN/kubectl"; fi
echo "KUBECTL_BIN=$kubectl"
if [ "$WANT_NODE" != 0 ]; then echo "KUBELET_BIN=$BIN/kubelet"; fi
if [ "$WANT_ERAS" = 1 ]; then
  bins="$kubectl"
  for era in "${ERAS[@]}"; do
    read -r prefix _ _ <<<"$era"
    bins="$bins:$(era_bin "$prefix")"
  done
  echo "KUBECTL_BINS=$bins"
fi
