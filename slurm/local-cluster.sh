#!/usr/bin/env bash
# local-cluster.sh -- a throwaway, REAL single-node Slurm cluster on localhost, for cellnet's tests and CI.
#
# Target: Debian 12 (bookworm), run as root, no systemd needed (PID 1 may be anything), 2+ cores.
# Uses Debian's packages slurmctld slurmd slurm-client munge (Slurm 22.05, MUNGE 0.5), installed when missing.
# Adapted from the project's Slurm notes (slurm-local.sh); no accounting (sacct): job states come from
# `scontrol show job`, which keeps finished jobs for MinJobAge=300 s.
#
# Usage:  local-cluster.sh start      install if missing, write config, start daemons, wait until the node is idle;
#                                     prints `export SLURM_CONF=...` (eval it to use sbatch/squeue in this shell)
#         local-cluster.sh stop       scancel all jobs, then stop ONLY the daemons this script started (by pid file)
#         local-cluster.sh restart    stop + start
#         local-cluster.sh status     which daemons are up, sinfo; exit 0 only if all are up
#         local-cluster.sh wait JOBID [TIMEOUT_S]
#                                     poll (0.25 s) until JOBID (or all its array tasks) ended; prints the
#                                     states and exits with the job's exit code (1 / 128+signal if not COMPLETED).
#                                     Faster than `sbatch --wait`, which polls after 2, 10, 42, 74... s.
#         local-cluster.sh env        prints `export SLURM_CONF=...`
#         local-cluster.sh purge      stop, then delete the state dir (and our /etc/slurm/slurm.conf symlink)
#         local-cluster.sh install    only install the packages
#
# Environment (all optional):
#   SLURM_LOCAL_DIR=/tmp/cellnet-slurm  state: config, munge key+socket, spool, logs, pid files
#   SLURM_LOCAL_PORT=6817               slurmctld=P, slurmd=P+1 (on 127.0.0.1)
#   SLURM_LOCAL_LINK_ETC=0              1: symlink /etc/slurm/slurm.conf -> our config (only if that path is free
#                                       or already our link) so plain sbatch works without SLURM_CONF
#   SLURM_LOCAL_TIMEOUT=60              seconds to wait for the cluster to become healthy
#
# Gotchas handled here:
#   * apt postinst scripts try to start munge/slurm* via invoke-rc.d: a policy-rc.d that exits 101
#     is put in place for the install (only if none exists, removed afterwards) so nothing starts behind us.
#   * Private munged on a private socket + key in the state dir (never the system's /run/munge). The socket's
#     directory must be o+x ("Socket is inaccessible: execute permissions for all required").
#   * Hostname: NodeAddr=127.0.0.1 and `slurmd -N <name>` so nothing depends on DNS or /etc/hosts;
#     SlurmctldHost=localhost is accepted by slurmctld as "this host".
#   * No cgroups: ProctrackType=proctrack/linuxproc, TaskPlugin=task/none (works in containers / without
#     systemd / on cgroup v1 or v2 alike; no resource enforcement, which CI does not need).
#   * CPUs/sockets/RealMemory come from `slurmd -C` (a larger RealMemory than the machine has drains the node).
#   * SchedulerParameters=batch_sched_delay=0: job start latency 0.5 s instead of ~2.5 s.
#   * KillWait=5: a job whose process traps SIGTERM (cellnet's job script does) stays COMPLETING for KillWait
#     seconds, and Slurm starts no new job on a node with a completing job: 30 s (default) stalls the queue.
#   * PID 1 may be slow to reap: a zombie counts as stopped. Only pids from our pid files whose command line
#     or environment names our state dir are ever signalled.
set -euo pipefail

STATE=${SLURM_LOCAL_DIR:-/tmp/cellnet-slurm}
PORT=${SLURM_LOCAL_PORT:-6817}
LINK_ETC=${SLURM_LOCAL_LINK_ETC:-0}
HEALTH_TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}

CTLD_PORT=$PORT; SLURMD_PORT=$((PORT + 1))
ETC=$STATE/etc; RUN=$STATE/run; LOG=$STATE/log; MUNGE=$STATE/munge
CONF=$ETC/slurm.conf
MSOCK=$MUNGE/munge.socket
CLUSTER=local
PARTITION=debug
NODE=$(hostname -s 2>/dev/null || true); NODE=${NODE:-localhost}
export SLURM_CONF=$CONF

T0=$EPOCHREALTIME
log() { printf '[local-cluster %6.2fs] %s\n' "$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- pid-file helpers
# alive NAME PIDFILE: the pid in PIDFILE is a live (non-zombie) process called NAME that belongs to our
# state dir (its command line or environment mentions $STATE). Never trusts a bare pid.
alive() { pid_ok "$1" "$(tr -dc '0-9' 2>/dev/null < "$2" || true)"; }
pid_ok() {  # pid_ok NAME PID
  local name=$1 pid=$2 st cl env
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$name" ] || return 1
  st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z); [ "$st" != Z ] || return 1
  cl=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)
  [[ "$cl" == *"$STATE/"* ]] && return 0
  env=$(tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null || true)
  [[ $'\n'"$env"$'\n' == *$'\n'"SLURM_CONF=$CONF"$'\n'* ]] && return 0
  return 1
}

stop_one() {  # stop_one NAME PIDFILE
  local name=$1 pf=$2 pid
  pid=$(tr -dc '0-9' 2>/dev/null < "$pf" || true)
  if ! pid_ok "$name" "$pid"; then rm -f "$pf"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do pid_ok "$name" "$pid" || break; sleep 0.1; done
  if pid_ok "$name" "$pid"; then log "$name ($pid) ignored SIGTERM for 10 s, sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$pf"
  log "stopped $name (pid $pid)"
}

wait_alive() {  # wait_alive NAME PIDFILE: daemons write their pid file just after forking
  local _i; for _i in $(seq 1 50); do alive "$1" "$2" && return 0; sleep 0.1; done; return 1
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------- install
ensure_packages() {
  [ "$(id -u)" = 0 ] || die "must run as root (apt-get, slurmd)"
  local pkgs=(slurmctld slurmd slurm-client munge) missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  local made_policy=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then    # keep postinst scripts from starting system daemons
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1
  fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
    > "/tmp/local-cluster-apt.$$.log" 2>&1 || rc=$?
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ $rc != 0 ]; then tail -20 "/tmp/local-cluster-apt.$$.log" >&2; die "apt-get failed ($rc)"; fi
  rm -f "/tmp/local-cluster-apt.$$.log"
  log "installed"
}

# ---------------------------------------------------------------- config
write_config() {
  mkdir -p "$ETC" "$RUN" "$LOG" "$STATE/ctld" "$STATE/slurmd"
  chmod 755 "$STATE" "$ETC" "$RUN" "$LOG"
  mkdir -p "$MUNGE"; chmod 755 "$MUNGE"          # o+x required on the socket's directory
  if [ ! -s "$MUNGE/munge.key" ]; then
    (umask 077; mungekey --create --keyfile="$MUNGE/munge.key" 2>/dev/null \
      || dd if=/dev/urandom of="$MUNGE/munge.key" bs=1024 count=1 status=none)
  fi
  chmod 600 "$MUNGE/munge.key"

  # Node shape from the hardware, e.g. "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
  local hw cpus spb cps tpc mem
  hw=$(slurmd -C 2>/dev/null | sed -n 1p)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
  spb=$(sed -n 's/.* SocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$hw")
  cps=$(sed -n 's/.* CoresPerSocket=\([0-9]*\).*/\1/p' <<<"$hw")
  tpc=$(sed -n 's/.* ThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  [ -n "$cpus" ] && [ -n "$mem" ] || die "could not parse 'slurmd -C': $hw"

  local new=$ETC/slurm.conf.new
  cat > "$new" <<EOF
# Generated by slurm/local-cluster.sh -- single-node throwaway cluster. Do not edit; rerun the script.
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MSOCK
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
KillWait=5
MinJobAge=300
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.txt
NodeName=$NODE NodeHostname=$NODE NodeAddr=127.0.0.1 CPUs=$cpus Boards=1 SocketsPerBoard=${spb:-1} CoresPerSocket=${cps:-$cpus} ThreadsPerCore=${tpc:-1} RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  CONF_CHANGED=0
  if [ -f "$CONF" ] && cmp -s "$new" "$CONF"; then rm -f "$new"; else mv "$new" "$CONF"; CONF_CHANGED=1; fi
  chmod 644 "$CONF"

  if [ "$LINK_ETC" = 1 ]; then
    mkdir -p /etc/slurm
    if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$CONF" ]; then :
    elif [ ! -e /etc/slurm/slurm.conf ] && [ ! -L /etc/slurm/slurm.conf ]; then ln -s "$CONF" /etc/slurm/slurm.conf
    else log "note: /etc/slurm/slurm.conf exists and is not ours; clients need: export SLURM_CONF=$CONF"; fi
  fi
}

# ---------------------------------------------------------------- daemons
start_munged() {
  alive munged "$RUN/munged.pid" && return 0
  munged --socket="$MSOCK" --key-file="$MUNGE/munge.key" --pid-file="$RUN/munged.pid" \
         --log-file="$LOG/munged.log" --seed-file="$MUNGE/munged.seed" || { tail -5 "$LOG/munged.log" >&2; die "munged failed"; }
  wait_alive munged "$RUN/munged.pid" || die "munged did not write its pid file"
  log "started munged (pid $(cat "$RUN/munged.pid"))"
}

start_slurm() {
  if ! alive slurmctld "$RUN/slurmctld.pid"; then
    port_busy "$CTLD_PORT" && die "port $CTLD_PORT busy (not our slurmctld); set SLURM_LOCAL_PORT"
    slurmctld -f "$CONF" || { tail -20 "$LOG/slurmctld.log" >&2; die "slurmctld failed"; }
    wait_alive slurmctld "$RUN/slurmctld.pid" || { tail -20 "$LOG/slurmctld.log" >&2; die "slurmctld exited"; }
    log "started slurmctld (pid $(cat "$RUN/slurmctld.pid"))"
  fi
  if ! alive slurmd "$RUN/slurmd.pid"; then
    port_busy "$SLURMD_PORT" && die "port $SLURMD_PORT busy (not our slurmd); set SLURM_LOCAL_PORT"
    slurmd -f "$CONF" -N "$NODE" || { tail -20 "$LOG/slurmd.log" >&2; die "slurmd failed"; }
    wait_alive slurmd "$RUN/slurmd.pid" || { tail -20 "$LOG/slurmd.log" >&2; die "slurmd exited"; }
    log "started slurmd (pid $(cat "$RUN/slurmd.pid"))"
  fi
}

wait_healthy() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT)) st="" resumed=0
  until munge -n -S "$MSOCK" 2>/dev/null | unmunge -S "$MSOCK" > /dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "munge not answering"; sleep 0.1
  done
  while :; do
    st=$(sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -1 || true)
    case "$st" in
      idle|mixed|allocated|completing) break ;;
      *drain*|down*|fail*)
        if [ $resumed = 0 ]; then scontrol update nodename="$NODE" state=resume 2>/dev/null || true; resumed=1; fi ;;
    esac
    if [ $SECONDS -ge $deadline ]; then
      tail -15 "$LOG/slurmctld.log" "$LOG/slurmd.log" >&2; die "node '$NODE' not ready after ${HEALTH_TIMEOUT}s (state: '${st:-no answer}')"
    fi
    sleep 0.2
  done
  # end-to-end: an interactive allocation + step launch (munge credentials, slurmd, slurmstepd)
  timeout 60 srun -t 1 -J local-cluster-health true || { tail -15 "$LOG/slurmctld.log" "$LOG/slurmd.log" >&2; die "srun health check failed"; }
  log "healthy: node $NODE is $st, srun works"
}

cmd_start() {
  ensure_packages
  write_config
  if [ "$CONF_CHANGED" = 1 ] && { alive slurmctld "$RUN/slurmctld.pid" || alive slurmd "$RUN/slurmd.pid"; }; then
    log "config changed: restarting slurm daemons"
    stop_one slurmd "$RUN/slurmd.pid"; stop_one slurmctld "$RUN/slurmctld.pid"
  fi
  start_munged
  start_slurm
  wait_healthy
  echo "export SLURM_CONF=$CONF"
}

cmd_stop() {
  if alive slurmctld "$RUN/slurmctld.pid" && [ -n "$(squeue -h -o %i 2>/dev/null || true)" ]; then
    log "cancelling jobs"; scancel --quiet --partition="$PARTITION" 2>/dev/null || true
    local _i; for _i in $(seq 1 60); do [ -z "$(squeue -h -o %i 2>/dev/null || true)" ] && break; sleep 0.25; done
  fi
  stop_one slurmd "$RUN/slurmd.pid"
  stop_one slurmctld "$RUN/slurmctld.pid"
  stop_one munged "$RUN/munged.pid"
}

cmd_purge() {
  cmd_stop
  if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$CONF" ]; then rm -f /etc/slurm/slurm.conf; fi
  case "$STATE" in /|"") die "refusing to delete '$STATE'";; esac
  rm -rf "$STATE"; log "removed $STATE"
}

cmd_status() {
  local n pf rc=0
  for n in munged slurmctld slurmd; do
    pf=$RUN/$n.pid
    if alive "$n" "$pf"; then echo "$n: running (pid $(cat "$pf"))"; else echo "$n: stopped"; rc=1; fi
  done
  [ $rc = 0 ] && sinfo
  return $rc
}

# job_wait JOBID [TIMEOUT_S]: poll until every record of JOBID (array tasks included) reached a final
# state. Prints "id state exitcode" lines. Exit: 0 if all COMPLETED, else the first non-zero exit code,
# else 128+signal, else 1; 124 on timeout; 2 if the job is unknown (purged after MinJobAge).
cmd_wait() {
  local id=${1:?job id} to=${2:-600} t0=$SECONDS out recs final rc
  while :; do
    out=$(scontrol show job "$id" -o 2>/dev/null || true)
    [ -n "$out" ] || { echo "job $id unknown" >&2; return 2; }
    recs=$(awk '{id="";aj="";at="";st="";ec=""
                for(i=1;i<=NF;i++){ if($i~/^JobId=/)id=substr($i,7); if($i~/^ArrayJobId=/)aj=substr($i,12)
                  if($i~/^ArrayTaskId=/)at=substr($i,13); if($i~/^JobState=/)st=substr($i,10); if($i~/^ExitCode=/)ec=substr($i,10) }
                if(aj!="") id=aj"_"at; print id, st, ec}' <<<"$out")
    final=1
    while read -r _ st _; do
      case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE|OUT_OF_MEMORY) ;; *) final=0 ;; esac
    done <<<"$recs"
    if [ $final = 1 ]; then
      echo "$recs"
      rc=$(awk '{split($3,e,":"); if($2!="COMPLETED"){ bad=1; if(!code && e[1]+0>0) code=e[1]+0; if(!sig && e[2]+0>0) sig=128+e[2] } }
                END{ if(code) print code; else if(sig) print sig; else if(bad) print 1; else print 0 }' <<<"$recs")
      return "$rc"
    fi
    [ $((SECONDS - t0)) -lt "$to" ] || { echo "$recs" >&2; return 124; }
    sleep 0.25
  done
}

case "${1:-}" in
  install)  ensure_packages ;;
  start)    cmd_start ;;
  stop)     cmd_stop ;;
  restart)  cmd_stop; cmd_start ;;
  status)   cmd_status ;;
  purge)    cmd_purge ;;
  env)      echo "export SLURM_CONF=$CONF" ;;
  wait)     shift; cmd_wait "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
