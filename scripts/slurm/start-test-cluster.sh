#!/usr/bin/env bash
# Start a single-node SLURM test cluster on this machine (as root), for tests/test_slurm.py
# and for trying workflow/profiles/slurm without a real cluster:
#
#   sudo scripts/slurm/start-test-cluster.sh          # prints the state folder when ready
#   sinfo; .venv/bin/snakemake --profile workflow/profiles/slurm ...
#   sudo scripts/slurm/stop-test-cluster.sh
#
# What it runs: its own munged (key, socket, log under the state folder; the system's
# munge, if any, is left alone), slurmctld and slurmd as root, with a minimal slurm.conf:
# one node with CPUs=$(nproc) and RealMemory 90 % of the machine's, accounting off,
# MinJobAge 300 s (so `squeue --states=all` still lists finished jobs when Snakemake
# asks; see workflow/profiles/slurm/README.md). Two partitions share the node: `debug`
# (default) and `urgent` (higher PriorityTier), with PreemptMode=REQUEUE, so that a job
# in `urgent` preempts and requeues `debug` jobs, as on a cluster with pre-emption.
#
# The config goes to /etc/slurm/slurm.conf, the path SLURM's commands read when
# SLURM_CONF is unset (jobs need that: Snakemake's job step strips SLURM_* variables
# before its inner `srun`). A slurm.conf that this script did not write is never
# overwritten. Everything else lives in the state folder, $ASYM_SLURM_TEST_DIR
# (default /tmp/asym-slurm-test).
#
# Idempotent: if the cluster is already up (node idle or busy) it says so and exits 0.
# Exit status: 0 ready; 1 a precondition failed (message says which); 2 a daemon did not
# come up (its log's tail is printed).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"  # the daemons live in sbin

STATE_DIR="${ASYM_SLURM_TEST_DIR:-/tmp/asym-slurm-test}"
CONF=/etc/slurm/slurm.conf
MARKER="# asym single-node test cluster (scripts/slurm/start-test-cluster.sh)"
WAIT_S="${ASYM_SLURM_WAIT_S:-60}"
APT_HINT="apt-get update && apt-get install -y slurm-wlm munge   (or: .ci/slurm-setup.sh)"

die() { echo "start-test-cluster: $*" >&2; exit "${2:-1}"; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it starts slurmctld/slurmd/munged as root)"
for cmd in munged slurmctld slurmd sinfo scontrol sbatch squeue srun; do
  command -v "$cmd" >/dev/null || die "'$cmd' not found; install SLURM and munge: $APT_HINT"
done

if [ -e "$CONF" ] && ! head -n1 "$CONF" | grep -qxF "$MARKER"; then
  die "$CONF exists and was not written by this script; refusing to replace it (a real SLURM config?)"
fi
if [ -e "$CONF" ]; then
  other="$(sed -n '2s/^# State folder: //p' "$CONF")"
  if [ -n "$other" ] && [ "$other" != "$STATE_DIR" ] && [ -f "$other/slurmctld.pid" ] \
      && kill -0 "$(cat "$other/slurmctld.pid")" 2>/dev/null; then
    die "a test cluster with state folder $other is running; stop it first: ASYM_SLURM_TEST_DIR=$other $(dirname "$0")/stop-test-cluster.sh"
  fi
fi

node_state() { { sinfo -h -N -o '%T' 2>/dev/null || true; } | head -n1; }

# Already running? (our config present, daemons alive, node usable)
if [ -f "$CONF" ] && [ -f "$STATE_DIR/slurmctld.pid" ] && kill -0 "$(cat "$STATE_DIR/slurmctld.pid")" 2>/dev/null; then
  case "$(node_state)" in
    idle|mixed|allocated|completing)
      echo "start-test-cluster: already running (state folder $STATE_DIR)"; exit 0 ;;
  esac
  die "a previous test cluster is half up (node state '$(node_state)'); run scripts/slurm/stop-test-cluster.sh first"
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 6817 6818; do
  port_busy "$port" && die "port $port (SLURM's default) is already in use: another slurmctld/slurmd running? (stop it, or a test cluster started with another ASYM_SLURM_TEST_DIR)"
done

HOST="$(hostname -s)"
NCPU="$(nproc)"
MEM_MB="$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)"
MUNGE_DIR="$STATE_DIR/munge"
SOCKET="$MUNGE_DIR/munge.socket"
LOG_DIR="$STATE_DIR/log"

rm -rf "$LOG_DIR" "$STATE_DIR/state" "$STATE_DIR/spool"  # logs kept by stop --keep-logs: a fresh start clears them
mkdir -p "$STATE_DIR" "$MUNGE_DIR" "$LOG_DIR" "$STATE_DIR/state" "$STATE_DIR/spool" /etc/slurm
chmod 700 "$MUNGE_DIR"

# munge: a fresh random key, owned by the user munged runs as (root here)
if [ ! -s "$MUNGE_DIR/munge.key" ]; then
  head -c 1024 /dev/urandom > "$MUNGE_DIR/munge.key"
  chmod 400 "$MUNGE_DIR/munge.key"
fi
if ! { [ -f "$MUNGE_DIR/munged.pid" ] && kill -0 "$(cat "$MUNGE_DIR/munged.pid")" 2>/dev/null; }; then
  munged --force --key-file="$MUNGE_DIR/munge.key" --socket="$SOCKET" \
    --pid-file="$MUNGE_DIR/munged.pid" --seed-file="$MUNGE_DIR/munged.seed" \
    --log-file="$LOG_DIR/munged.log" \
    || { tail -n 20 "$LOG_DIR/munged.log" >&2 || true; die "munged did not start" 2; }
fi
for _ in $(seq 50); do [ -S "$SOCKET" ] && break; sleep 0.1; done
[ -S "$SOCKET" ] || die "munged socket $SOCKET did not appear (log: $LOG_DIR/munged.log)" 2

cat > "$CONF" <<EOF
$MARKER
# State folder: $STATE_DIR
# Stop and remove with scripts/slurm/stop-test-cluster.sh (same ASYM_SLURM_TEST_DIR).
ClusterName=asymtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCKET
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
# Finished jobs stay visible to squeue this long (Snakemake's squeue status check needs it).
MinJobAge=300
KillWait=30
ReturnToService=2
StateSaveLocation=$STATE_DIR/state
SlurmdSpoolDir=$STATE_DIR/spool
SlurmctldPidFile=$STATE_DIR/slurmctld.pid
SlurmdPidFile=$STATE_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$NCPU RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP PriorityTier=1
PartitionName=urgent Nodes=ALL Default=NO MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF
EOF

# -i: ignore saved state (a fresh cluster every time)
slurmctld -i -f "$CONF" || { tail -n 20 "$LOG_DIR/slurmctld.log" >&2 || true; die "slurmctld did not start" 2; }
slurmd -f "$CONF" || { tail -n 20 "$LOG_DIR/slurmd.log" >&2 || true; die "slurmd did not start" 2; }

state=""
for _ in $(seq $((WAIT_S * 2))); do
  state="$(node_state)"
  [ "$state" = idle ] && break
  sleep 0.5
done
if [ "$state" != idle ]; then
  echo "--- slurmctld.log" >&2; tail -n 15 "$LOG_DIR/slurmctld.log" >&2 || true
  echo "--- slurmd.log" >&2; tail -n 15 "$LOG_DIR/slurmd.log" >&2 || true
  die "node not idle after ${WAIT_S}s (state '${state:-none}'); stop with scripts/slurm/stop-test-cluster.sh" 2
fi
echo "start-test-cluster: node $HOST idle ($NCPU CPUs, ${MEM_MB} MB), partitions debug (default) and urgent; state folder $STATE_DIR"
