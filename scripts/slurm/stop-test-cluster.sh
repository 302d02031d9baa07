#!/usr/bin/env bash
# Stop the single-node SLURM test cluster that scripts/slurm/start-test-cluster.sh
# started: cancel its jobs, stop slurmd, slurmctld and its munged (by the pid files in
# the state folder, never by process name), remove /etc/slurm/slurm.conf if that script
# wrote it, and delete the state folder ($ASYM_SLURM_TEST_DIR, default
# /tmp/asym-slurm-test). Idempotent: with nothing running it just cleans up and exits 0.
#
#   sudo scripts/slurm/stop-test-cluster.sh [--keep-logs]    # --keep-logs: keep $STATE_DIR/log
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"  # the daemons live in sbin

STATE_DIR="${ASYM_SLURM_TEST_DIR:-/tmp/asym-slurm-test}"
CONF=/etc/slurm/slurm.conf
MARKER="# asym single-node test cluster (scripts/slurm/start-test-cluster.sh)"
KEEP_LOGS=0
[ "${1:-}" = "--keep-logs" ] && KEEP_LOGS=1

die() { echo "stop-test-cluster: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root"

ours=0
[ -f "$CONF" ] && head -n1 "$CONF" | grep -qxF "$MARKER" && ours=1

# Jobs first, so that no slurmstepd outlives the daemons.
if [ "$ours" = 1 ] && command -v scancel >/dev/null; then
  timeout 10 scancel --full --quiet --user=root 2>/dev/null || true
fi

stop_pidfile() {  # stop_pidfile NAME PIDFILE: SIGTERM, wait up to 10 s, then SIGKILL
  local name="$1" pidfile="$2" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "stop-test-cluster: $name (pid $pid) ignored SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

stop_pidfile slurmd "$STATE_DIR/slurmd.pid"
stop_pidfile slurmctld "$STATE_DIR/slurmctld.pid"
stop_pidfile munged "$STATE_DIR/munge/munged.pid"

[ "$ours" = 1 ] && rm -f "$CONF"
if [ -d "$STATE_DIR" ]; then
  if [ "$KEEP_LOGS" = 1 ]; then
    find "$STATE_DIR" -mindepth 1 -maxdepth 1 ! -name log -exec rm -rf {} +
  else
    rm -rf "$STATE_DIR"
  fi
fi
if [ "$KEEP_LOGS" = 1 ]; then
  echo "stop-test-cluster: stopped; logs kept in $STATE_DIR/log"
else
  echo "stop-test-cluster: stopped; $STATE_DIR removed"
fi
