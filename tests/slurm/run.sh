#!/usr/bin/env bash
# Runs a sharded sweep as a Slurm job array on a one-node cluster started here on 127.0.0.1,
# merges it, and checks the dataset is byte-identical to the same sweep run locally.
#
# Usage: tests/slurm/run.sh [LOCAL_SWEEP_DIR]
#   LOCAL_SWEEP_DIR: scenarios/sweeps/tiny.yaml already run and merged locally (default: run
#   it here). Needs root (the daemons run as root, SlurmUser=root). Installs slurmctld, slurmd,
#   slurm-client and munge with apt-get when missing; exits 0 with a SKIPPED line when they
#   cannot be installed. Daemons started here are stopped by their PIDs on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin=$root/target/debug/unchained
sweep_file=$root/scenarios/sweeps/tiny.yaml
shards=4   # array tasks
at_once=2  # %K: tasks running at once (2 cores)
start=$(date +%s.%N)

need=(slurmctld slurmd sbatch munged)
missing() { for c in "${need[@]}"; do command -v "$c" >/dev/null 2>&1 || return 0; done; return 1; }
if missing && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client munge >/dev/null 2>&1; } || true
fi
if missing; then
  echo "SKIPPED Slurm test: slurmctld/slurmd/slurm-client/munge could not be installed" \
    "(needs root and apt-get)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "SKIPPED Slurm test: the one-node cluster runs its daemons as root"
  exit 0
fi

work=$(mktemp -d /tmp/unchained-slurm.XXXXXX)
node=$(hostname -s)
started_pids=()
stop() {
  local pid
  for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ "${KEEP_SLURM_WORK:-}" = "" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap stop EXIT
show_logs() { tail -n 30 "$work"/*.log >&2 || true; }

# munge: reuse a running daemon; otherwise start one on a socket of our own.
export MUNGE_SOCKET=/run/munge/munge.socket.2
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  munged --force --socket="$MUNGE_SOCKET" --pid-file="$work/munged.pid" \
    --log-file="$work/munged.log" --seed-file="$work/munged.seed"
  for _ in $(seq 50); do [ -s "$work/munged.pid" ] && break; sleep 0.1; done
  started_pids+=("$(cat "$work/munged.pid")")
fi

cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
mkdir -p "$work/state" "$work/spool"
cat >"$work/slurm.conf" <<CONF
ClusterName=unchained
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
# Schedule on every event and at least every second, so array tasks start without waves of
# several seconds.
SchedulerParameters=sched_interval=1,sched_min_interval=0,batch_sched_delay=0
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
# Short: with 60 s, sbatch --wait returned about 30 s after the array's last task ended.
MinJobAge=5
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
# Without SLURM_CONF the client tools look the controller up in DNS and fail.
export SLURM_CONF=$work/slurm.conf

slurmctld -i || { show_logs; exit 1; }
for _ in $(seq 50); do [ -s "$work/slurmctld.pid" ] && break; sleep 0.1; done
started_pids+=("$(cat "$work/slurmctld.pid")")
slurmd -N "$node" || { show_logs; exit 1; }
for _ in $(seq 50); do [ -s "$work/slurmd.pid" ] && break; sleep 0.1; done
started_pids+=("$(cat "$work/slurmd.pid")")
for i in $(seq 100); do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -n1 || true)
  [ "$state" = idle ] && break
  [ "$i" = 100 ] && { echo "node never became idle (state: $state)" >&2; show_logs; exit 1; }
  sleep 0.2
done
up=$(date +%s.%N)

out=$work/sweep
cat >"$work/job.sh" <<JOB
#!/bin/bash
#SBATCH --job-name=unchained-sweep
#SBATCH --cpus-per-task=1
#SBATCH --output=$work/task-%A_%a.out
# The index comes from SLURM_ARRAY_TASK_ID; the count is given, never SLURM_ARRAY_TASK_COUNT.
exec "$bin" sweep run "$sweep_file" --out "$out" --shard $shards --jobs "\${SLURM_CPUS_PER_TASK:-1}" --quiet
JOB
if ! sbatch --array=0-$((shards - 1))%$at_once --wait --quiet "$work/job.sh"; then
  echo "job array failed" >&2
  cat "$work"/task-*.out >&2 || true
  show_logs
  exit 1
fi
done_at=$(date +%s.%N)
# Besides sbatch's status, the merge checks completeness: it refuses a sweep with runs missing.
if ! "$bin" sweep merge "$out" 2>"$work/merge.err"; then
  echo "an array task did not complete its runs:" >&2
  cat "$work/merge.err" "$work"/task-*.out >&2 || true
  exit 1
fi

local_dir=${1:-}
if [ -z "$local_dir" ]; then
  local_dir=$work/local
  "$bin" sweep run "$sweep_file" --out "$local_dir" --quiet --merge 2>/dev/null
fi
if ! diff -r -x .tmp -x 'report.html' "$local_dir" "$out"; then
  echo "the Slurm dataset differs from the local one" >&2
  exit 1
fi
runs=$(find "$out/runs" -name summary.parquet | wc -l)
tasks=$(ls "$work"/task-*.out | wc -l)
awk -v s="$start" -v u="$up" -v d="$done_at" -v e="$(date +%s.%N)" -v r="$runs" -v t="$tasks" \
  'BEGIN { printf "Slurm test passed: %d runs in %d array tasks; cluster up in %.1f s, array %.1f s, total %.1f s; dataset identical to the local run\n", r, t, u - s, d - u, e - s }'
