#!/usr/bin/env bash
# Tears down a test node started by lib/testing/node.ts, from what it recorded in
# its state directory, whatever state the node is in (running, half started,
# its processes already dead). Safe to run twice and concurrently with
# nothing else of the node's.
#
#   node_cleanup.sh DIR               tear down now
#   node_cleanup.sh --watch PID DIR   wait until PID is gone, then tear down
#                                     (the janitor for a runner that is SIGKILLed)
#
# What it undoes: processes (kubelet, scheduler, controller-manager,
# containerd and its shims), containers (via runc, so it works without
# containerd), network namespaces and mounts the node made, the CNI bridge,
# host sysctls the kubelet or CNI changed, and the host paths the kubelet
# creates outside its root dir; then removes DIR.
set -u

if [ "${1:-}" = "--watch" ]; then
  watched=$2
  shift 2
  trap '' INT HUP
  trap 'exit 0' TERM
  while kill -0 "$watched" 2>/dev/null; do sleep 1; done
fi
dir=${1:?usage: node_cleanup.sh [--watch PID] DIR}
state="$dir/state"
[ -d "$state" ] || { rm -rf "$dir"; exit 0; }

# 1. Our processes, recorded as pid files (TERM, then KILL).
for f in "$state"/pids/*; do
  [ -f "$f" ] || continue
  kill -TERM "$(cat "$f")" 2>/dev/null
done
for _ in 1 2 3 4 5 6 7 8 9 10; do
  alive=0
  for f in "$state"/pids/*; do
    [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1
  done
  [ "$alive" = 0 ] && break
  sleep 0.3
done
for f in "$state"/pids/*; do
  [ -f "$f" ] || continue
  kill -KILL "$(cat "$f")" 2>/dev/null
  rm -f "$f"
done

# 2. Containers, through runc's own state (containerd may be gone already).
runc_root=$(cat "$state/runc-root" 2>/dev/null)
if [ -n "$runc_root" ] && [ -d "$runc_root" ] && command -v runc >/dev/null; then
  for ns_root in "$runc_root"/*; do
    [ -d "$ns_root" ] || continue
    for id in $(runc --root "$ns_root" list -q 2>/dev/null); do
      runc --root "$ns_root" delete --force "$id" >/dev/null 2>&1
    done
  done
fi

# 3. containerd shims started for our socket (they outlive containerd by design).
sock=$(cat "$state/containerd-socket" 2>/dev/null)
if [ -n "$sock" ]; then
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    case "$cmd" in
      *containerd-shim*"$sock"*) kill -KILL "${p#/proc/}" 2>/dev/null ;;
    esac
  done
fi

# 4. Network namespaces the node created (not those that were there before;
#    containerd names them cni-*, a narrower prefix may be recorded).
prefix=$(cat "$state/netns.prefix" 2>/dev/null || echo cni-)
if [ -f "$state/netns.before" ] && [ -d /var/run/netns ]; then
  for ns in /var/run/netns/*; do
    [ -e "$ns" ] || continue
    name=$(basename "$ns")
    grep -qxF "$name" "$state/netns.before" && continue
    case "$name" in "$prefix"*) ip netns delete "$name" 2>/dev/null || { umount -l "$ns" 2>/dev/null; rm -f "$ns"; } ;; esac
  done
  [ -s "$state/netns.before" ] || rmdir /var/run/netns 2>/dev/null
fi

# 4b. The /run/netns self-bind the node made (only if it did, and only once
#     no namespace is left in it).
if [ -f "$state/netns-bind-created" ] && [ -d /run/netns ] &&
  [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
  umount /run/netns 2>/dev/null
fi

# 5. Mounts below our directory, deepest first (container rootfs, secrets, shm).
awk -v d="$dir" '{ if (index($5, d) == 1) print $5 }' /proc/self/mountinfo |
  sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done

# 6. The CNI bridge.
bridge=$(cat "$state/bridge" 2>/dev/null)
[ -n "$bridge" ] && ip link delete "$bridge" 2>/dev/null

# 7. Host sysctls, as they were before the node started.
if [ -f "$state/sysctl.saved" ]; then
  while IFS='=' read -r key value; do
    [ -n "$key" ] || continue
    path="/proc/sys/${key//.//}"
    [ -w "$path" ] || continue
    [ "$(cat "$path")" = "$value" ] || echo "$value" >"$path" 2>/dev/null
  done <"$state/sysctl.saved"
fi

# 8. Host paths the kubelet or containerd created outside DIR (recorded as absent before).
if [ -f "$state/host-paths.absent" ]; then
  # Deepest first, so a parent we created goes after its children.
  sort -r "$state/host-paths.absent" | while read -r p; do
    [ -n "$p" ] && [ -e "$p" ] && rm -rf "$p"
  done
fi
# Pod log directories the kubelet wrote under /var/log/pods (the path is fixed in 1.20).
if [ -f "$state/pod-logs.before" ] && [ -d /var/log/pods ]; then
  for p in /var/log/pods/* /var/log/containers/*; do
    [ -e "$p" ] || [ -L "$p" ] || continue
    grep -qxF "$p" "$state/pod-logs.before" || rm -rf "$p"
  done
fi

# 9. Cgroups runc left empty for our containers.
if [ -f "$state/cgroup-parent" ]; then
  parent=$(cat "$state/cgroup-parent")
  for c in /sys/fs/cgroup/*/"$parent"; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
fi

# 10. The lock that keeps one node per machine, if it is ours.
lock=$(cat "$state/lock" 2>/dev/null)
if [ -n "$lock" ] && [ "$(cat "$lock/dir" 2>/dev/null)" = "$dir" ]; then
  rm -rf "$lock"
fi

rm -rf "$dir" 2>/dev/null || { sleep 1; rm -rf "$dir"; }
exit 0
