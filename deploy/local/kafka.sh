#!/usr/bin/env bash
# Local single-node Kafka (KRaft, broker+controller in one JVM) for Jiuzhu tests.
#
#   deploy/local/kafka.sh fetch     resolve the broker jars from Maven Central into the cache (once)
#   deploy/local/kafka.sh start     fetch if needed, format storage once, start, wait until ready
#   deploy/local/kafka.sh stop      SIGTERM (SIGKILL after 30s) the recorded broker; idempotent
#   deploy/local/kafka.sh restart   stop + start, data kept
#   deploy/local/kafka.sh status    exit 0 when running, 3 when stopped
#   deploy/local/kafka.sh env       print `export JIUZHU_KAFKA_BOOTSTRAP=...`
#
# Environment:
#   JIUZHU_KAFKA_VERSION          org.apache.kafka:kafka_2.13 version (default 4.1.1)
#   JIUZHU_CACHE_DIR              jar cache root (default $HOME/.cache/jiuzhu);
#                                 jars go to $JIUZHU_CACHE_DIR/kafka-<version>/lib
#   JIUZHU_STATE_DIR              state root (default $HOME/.cache/jiuzhu); broker state
#                                 (server.properties, data/, logs/, kafka.pid) in .../kafka
#   JIUZHU_KAFKA_PORT             PLAINTEXT listener on 127.0.0.1 (default 19092)
#   JIUZHU_KAFKA_CONTROLLER_PORT  CONTROLLER listener on 127.0.0.1 (default 19093)
#   JIUZHU_KAFKA_HEAP_OPTS        JVM heap flags (default "-Xms256m -Xmx512m")
#   JIUZHU_KAFKA_READY_CHECK      "metadata" (default): after the log says started, also
#                                 list topics with kafka-tools; "log": port + log line only
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_CONF_DIR=$SCRIPT_DIR/kafka

: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
KAFKA_VERSION=${JIUZHU_KAFKA_VERSION:-4.1.1}
CACHE_ROOT=${JIUZHU_CACHE_DIR:-$HOME/.cache/jiuzhu}
STATE_ROOT=${JIUZHU_STATE_DIR:-$HOME/.cache/jiuzhu}
[[ $CACHE_ROOT == /* ]] || CACHE_ROOT=$PWD/$CACHE_ROOT
[[ $STATE_ROOT == /* ]] || STATE_ROOT=$PWD/$STATE_ROOT
cd /

KAFKA_HOST=127.0.0.1
KAFKA_PORT=${JIUZHU_KAFKA_PORT:-19092}
CONTROLLER_PORT=${JIUZHU_KAFKA_CONTROLLER_PORT:-19093}
HEAP_OPTS=${JIUZHU_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
READY_CHECK=${JIUZHU_KAFKA_READY_CHECK:-metadata}
readonly START_TIMEOUT=90 STOP_TIMEOUT=30

DIST_DIR=$CACHE_ROOT/kafka-$KAFKA_VERSION
LIB_DIR=$DIST_DIR/lib
LIB_MARKER=$LIB_DIR/.jiuzhu-complete
STATE_DIR=$STATE_ROOT/kafka
DATA_DIR=$STATE_DIR/data
LOG_DIR=$STATE_DIR/logs
LOG_FILE=$LOG_DIR/server.log
OUT_FILE=$LOG_DIR/kafka.out
PID_FILE=$STATE_DIR/kafka.pid
PROPS_FILE=$STATE_DIR/server.properties
CLUSTER_ID_FILE=$STATE_DIR/cluster.id
# Passed to the broker JVM so its process can be told apart from any other
# java process (the PID file may outlive the process and the PID be reused).
MARKER_ARG=-Djiuzhu.kafka.state=$STATE_DIR

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

log() { printf '[kafka.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_us() { echo "${EPOCHREALTIME/./}"; }
elapsed() { # elapsed <start_us> -> "12.3"
  local d=$(( $(now_us) - $1 ))
  printf '%d.%d' $(( d / 1000000 )) $(( (d % 1000000) / 100000 ))
}

with_lock() { # serialise start/stop/fetch on the same state dir
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.lock"
  if ! flock -w 180 9; then
    die "another kafka.sh holds $STATE_DIR/.lock"
  fi
}

ensure_tools() {
  local need=()
  command -v "$JAVA" >/dev/null 2>&1 || need+=(default-jdk-headless)
  if [[ ${1:-} == mvn ]] && ! command -v mvn >/dev/null 2>&1; then
    need+=(maven)
  fi
  if (( ${#need[@]} )); then
    [[ $EUID -eq 0 ]] || die "missing ${need[*]}: install Java 17+ and Maven"
    log "installing ${need[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y "${need[@]}"
  fi
  local major
  major=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  if [[ -z $major || ${major%%.*} -lt 17 ]]; then
    die "Kafka $KAFKA_VERSION needs Java 17+, $JAVA is ${major:-unknown} (set JAVA_HOME)"
  fi
}

# The lib dir is complete when its marker names this version and this pom.
lib_fingerprint() {
  { echo "$KAFKA_VERSION"; cat "$KAFKA_CONF_DIR/pom.xml"; } | sha256sum | cut -d' ' -f1
}

lib_complete() {
  [[ -f $LIB_MARKER && -f $LIB_DIR/kafka_2.13-$KAFKA_VERSION.jar ]] || return 1
  [[ $(head -n 1 "$LIB_MARKER") == "$(lib_fingerprint)" ]]
}

lib_summary() {
  local n size
  n=$(find "$LIB_DIR" -maxdepth 1 -name '*.jar' | wc -l)
  size=$(du -sh "$LIB_DIR" | cut -f1)
  echo "$n jars, $size in $LIB_DIR"
}

do_fetch() {
  local t0 tmp mvn_log
  t0=$(now_us)
  if lib_complete; then
    log "Kafka $KAFKA_VERSION already fetched ($(lib_summary))"
    return 0
  fi
  ensure_tools mvn
  mkdir -p "$DIST_DIR"
  tmp=$(mktemp -d "$DIST_DIR/lib.tmp.XXXXXX")
  mvn_log=$DIST_DIR/fetch.log
  log "fetching Kafka $KAFKA_VERSION jars with Maven (log $mvn_log)"
  if ! mvn -B -f "$KAFKA_CONF_DIR/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
        dependency:copy-dependencies -DoutputDirectory="$tmp" -DincludeScope=runtime \
        > "$mvn_log" 2>&1; then
    grep -E '\[(ERROR|WARNING)\]' "$mvn_log" | tail -n 30 >&2 || tail -n 30 "$mvn_log" >&2
    rm -rf "$tmp"
    die "could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (pinned default is 4.1.1)"
  fi
  [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"; }
  rm -rf "$LIB_DIR"
  mv "$tmp" "$LIB_DIR"
  lib_fingerprint > "$LIB_MARKER"
  log "fetched $(lib_summary) in $(elapsed "$t0")s"
}

# pid_is_broker PID: a live (not zombie) process whose argv has our marker.
pid_is_broker() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  state=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$pid/stat" 2>/dev/null || true)
  [[ -n $state && $state != [ZX] ]] || return 1
  tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$MARKER_ARG"
}

# broker_pid: the PID of this state dir's broker, or nothing. Uses the PID
# file, then falls back to looking for the exact marker argument.
broker_pid() {
  local pid f
  if [[ -f $PID_FILE ]]; then
    pid=$(head -n 1 "$PID_FILE" 2>/dev/null || true)
    if pid_is_broker "$pid"; then
      echo "$pid"
      return 0
    fi
  fi
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    if pid_is_broker "$pid"; then
      echo "$pid" > "$PID_FILE"
      echo "$pid"
      return 0
    fi
  done
  return 0
}

port_open() {
  # shellcheck disable=SC2016  # $0/$1 are expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$KAFKA_HOST" "$1" 2>/dev/null
}

show_log_tail() {
  local f
  for f in "$OUT_FILE" "$LOG_FILE"; do
    if [[ -s $f ]]; then
      log "last 50 lines of $f:"
      tail -n 50 "$f" >&2 || true
    fi
  done
}

write_props() {
  sed -e "s|@PORT@|$KAFKA_PORT|g" \
      -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
      -e "s|@DATA_DIR@|$DATA_DIR|g" \
      "$KAFKA_CONF_DIR/server.properties.template" > "$PROPS_FILE.tmp"
  mv -f "$PROPS_FILE.tmp" "$PROPS_FILE"
}

format_storage() {
  [[ -f $DATA_DIR/meta.properties ]] && return 0
  local cid
  if [[ -s $CLUSTER_ID_FILE ]]; then
    cid=$(head -n 1 "$CLUSTER_ID_FILE")
  else
    cid=$("$JAVA" -cp "$LIB_DIR/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    [[ $cid =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid gave '$cid'"
    echo "$cid" > "$CLUSTER_ID_FILE"
  fi
  # No meta.properties: whatever is in the data dir is not a usable log.
  rm -rf "$DATA_DIR"
  log "formatting storage in $DATA_DIR (cluster id $cid)"
  if ! "$JAVA" -cp "$LIB_DIR/*" kafka.tools.StorageTool format --standalone \
        -t "$cid" -c "$PROPS_FILE" > "$LOG_DIR/format.log" 2>&1; then
    cat "$LOG_DIR/format.log" >&2
    die "kafka storage format failed"
  fi
}

metadata_ok() { # the broker answers a metadata request
  timeout 30 "$JAVA" -Xmx128m -cp "$LIB_DIR/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --list > "$LOG_DIR/ready-check.log" 2>&1
}

# wait_ready PID: until the log of this run says started and the
# port answers (then optionally a metadata request), or the process dies.
wait_ready() {
  local pid=$1 deadline=$(( SECONDS + START_TIMEOUT ))
  while :; do
    if ! pid_is_broker "$pid"; then
      show_log_tail
      die "broker (pid $pid) exited during start"
    fi
    if grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null && port_open "$KAFKA_PORT"; then
      break
    fi
    if (( SECONDS >= deadline )); then
      show_log_tail
      do_stop
      die "broker (pid $pid) not ready within ${START_TIMEOUT}s; stopped it, see $LOG_FILE"
    fi
    sleep 0.2
  done
  if [[ $READY_CHECK == metadata ]] && ! metadata_ok; then
    cat "$LOG_DIR/ready-check.log" >&2 || true
    show_log_tail
    do_stop
    die "broker (pid $pid) logged 'started' but does not answer a metadata request; stopped it"
  fi
}

do_start() {
  local t0 pid
  t0=$(now_us)
  do_fetch
  ensure_tools
  mkdir -p "$LOG_DIR"

  pid=$(broker_pid)
  if [[ -n $pid ]]; then
    if port_open "$KAFKA_PORT"; then
      log "already running (pid $pid, $KAFKA_HOST:$KAFKA_PORT); reused"
      log "start took $(elapsed "$t0")s"
      return 0
    fi
    log "broker pid $pid is up but $KAFKA_HOST:$KAFKA_PORT does not answer yet; waiting"
    wait_ready "$pid"
    log "ready (pid $pid); start took $(elapsed "$t0")s"
    return 0
  fi
  rm -f "$PID_FILE"
  local p
  for p in "$KAFKA_PORT" "$CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "$KAFKA_HOST:$p is taken by a process that is not this broker ($STATE_DIR); set JIUZHU_KAFKA_PORT / JIUZHU_KAFKA_CONTROLLER_PORT"
    fi
  done

  write_props
  format_storage
  # Each start gets a fresh log so readiness is judged on this run's lines.
  [[ -f $LOG_FILE ]] && mv -f "$LOG_FILE" "$LOG_FILE.prev"
  [[ -f $OUT_FILE ]] && mv -f "$OUT_FILE" "$OUT_FILE.prev"

  local -a jvm
  read -r -a jvm <<< "$HEAP_OPTS"
  jvm+=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
        -Djava.awt.headless=true
        "-Dkafka.logs.dir=$LOG_DIR"
        "-Dlog4j2.configurationFile=$KAFKA_CONF_DIR/log4j2.xml"
        "$MARKER_ARG")
  log "starting Kafka $KAFKA_VERSION on $KAFKA_HOST:$KAFKA_PORT (controller $CONTROLLER_PORT), log $LOG_FILE"
  # setsid: own session, so the broker outlives the calling shell / CI step;
  # all three std streams are redirected so nobody waits on our pipes, and
  # fd 9 (our flock) is closed so the broker does not hold the lock.
  setsid nohup "$JAVA" "${jvm[@]}" -cp "$LIB_DIR/*" kafka.Kafka "$PROPS_FILE" \
    > "$OUT_FILE" 2>&1 < /dev/null 9>&- &
  pid=$!
  echo "$pid" > "$PID_FILE"
  sleep 0.1  # let setsid/nohup exec into java before checking argv
  wait_ready "$pid"
  log "ready (pid $pid); start took $(elapsed "$t0")s"
}

do_stop() {
  local pid t0
  t0=$(now_us)
  pid=$(broker_pid)
  if [[ -z $pid ]]; then
    rm -f "$PID_FILE"
    log "not running ($STATE_DIR)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( SECONDS + STOP_TIMEOUT ))
  while pid_is_broker "$pid"; do
    if (( SECONDS >= deadline )); then
      log "pid $pid still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$PID_FILE"
  log "stopped (pid $pid) in $(elapsed "$t0")s"
}

do_status() {
  local pid
  pid=$(broker_pid)
  if [[ -n $pid ]]; then
    if port_open "$KAFKA_PORT"; then
      echo "kafka: running (pid $pid, $KAFKA_HOST:$KAFKA_PORT, state $STATE_DIR)"
      return 0
    fi
    echo "kafka: process up (pid $pid) but $KAFKA_HOST:$KAFKA_PORT does not answer (starting or wedged)"
    return 1
  fi
  if port_open "$KAFKA_PORT"; then
    echo "kafka: stopped ($STATE_DIR), but something else listens on $KAFKA_HOST:$KAFKA_PORT"
    return 3
  fi
  echo "kafka: stopped (state $STATE_DIR)"
  return 3
}

usage() {
  echo "usage: $0 {fetch|start|stop|restart|status|env}" >&2
  exit 2
}

case "${1:-}" in
  fetch) with_lock; do_fetch ;;
  start) with_lock; do_start ;;
  stop) with_lock; do_stop ;;
  restart) with_lock; do_stop; do_start ;;
  status) do_status ;;
  env) echo "export JIUZHU_KAFKA_BOOTSTRAP=$KAFKA_HOST:$KAFKA_PORT" ;;
  *) usage ;;
esac
