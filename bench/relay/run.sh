#!/usr/bin/env bash
# The relay against the machine's own limit, in one run (docs/performance.md, "Relay against the C forwarder").
# usage: bench/relay/run.sh [OUTDIR]   (from the repository root; Linux, 2+ cores, gcc, taskset)
# Env: STREAMS="200 500" (streams per row; two per visit), PPS=100, SIZE=1200, WARMUP=5, WINDOW=10 (seconds),
#      MODES="forwarder off-async on-async off on" (off/on = the server with recording off/on on the batched I/O threads;
#      -async = the same with MediaServer:Rtp:BatchedIo=false, the per-socket async loops; -shared = batched, every party joined
#      with ?rtp=symmetric onto SHARED_PAIRS=4 shared pairs, MediaServer:Rtp:SharedPairs; -webrtc = batched, every party a WebRTC
#      leg on the shared WebRTC port: ICE and DTLS by the load generator, AEAD_AES_128_GCM SRTP both ways by rtpload, libcrypto),
#      SERVER_ENV="K=V ..." (extra settings),
#      BUILD=1 (0 skips the dotnet build), SERVER_DLL=PATH (another build of the server, for an A/B in one run).
# Each relay runs alone, pinned to core 0 (taskset), the load on core 1. CPU = utime+stime of every thread of the relay
# (/proc/PID/stat) over WINDOW seconds after WARMUP seconds of media, and per relayed datagram over rtpload's whole run; loss and
# one-way latency as rtpload prints them (its whole run). The ratio is the relay's CPU per relayed datagram over the C
# forwarder's at the same stream count, in the same run (whole run: warm-up included, so the runtime's JIT is in it); cpu_x
# is the steady window's CPU over the forwarder's window (at 0 loss the same packets, so the same per-packet ratio). Every
# row ends with the 1-minute load average before -> after.
set -euo pipefail
out=${1:-$(mktemp -d /tmp/relaybench.XXXXXX)}
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
STREAMS=${STREAMS:-"200 500"} PPS=${PPS:-100} SIZE=${SIZE:-1200} WARMUP=${WARMUP:-5} WINDOW=${WINDOW:-10}
MODES=${MODES:-"forwarder off-async on-async off on off-shared on-shared"} SERVER_ENV=${SERVER_ENV:-} BUILD=${BUILD:-1}
SHARED_PAIRS=${SHARED_PAIRS:-4} RENDER_SECONDS=${RENDER_SECONDS:-30}
secs=$((WARMUP + WINDOW + 1))
gcc -O2 -o "$out/udpfwd" "$here/udpfwd.c"
gcc -O2 -o "$out/rtpload" "$here/rtpload.c" -lcrypto
if [ "$BUILD" = 1 ]; then dotnet build -c Release bench/MediaServer.LoadGen --verbosity quiet >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }; fi
loadgen=(dotnet bench/MediaServer.LoadGen/bin/Release/net10.0/MediaServer.LoadGen.dll)
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# Runs rtpload pinned to core 1 against the stream list $1 while sampling relay pid $2 (rtpload's output to $3; $4, if given,
# is run when the window opens); prints
# "cpu us_per_pkt loss p50 p99 load": cpu = cores over the steady window; us_per_pkt = the relay's CPU over the whole rtpload
# run (start to exit, with its 300 ms drain) per datagram received, which stays a cost per packet when other work on the
# machine takes the relay's core and a backlog builds.
measure() {
  local streams=$1 pid=$2 log=$3
  local a0; a0=$(cpu_ticks "$pid")
  taskset -c 1 "$out/rtpload" "$SIZE" "$PPS" "$secs" <"$streams" >"$log" &
  local load=$!
  sleep "$WARMUP"
  if [ -n "${4:-}" ]; then eval "$4"; fi
  local l0; l0=$(load1)
  local t0; t0=$(cpu_ticks "$pid")
  local w0; w0=$(date +%s.%N)
  sleep "$WINDOW"
  local t1; t1=$(cpu_ticks "$pid")
  local w1; w1=$(date +%s.%N)
  local l1; l1=$(load1)
  wait "$load"
  local a1; a1=$(cpu_ticks "$pid")
  local cpu; cpu=$(awk -v a="$t0" -v b="$t1" -v s="$w0" -v e="$w1" -v k="$tck" 'BEGIN { printf "%.3f", (b - a) / k / (e - s) }')
  # streams N sent S received R loss L% latency_us p50 X p99 Y
  awk -v cpu="$cpu" -v a="$a0" -v b="$a1" -v k="$tck" -v l="$l0->$l1" \
    '/^streams/ { sub(/%/, "", $8); printf "%s %.2f %s %s %s %s\n", cpu, ($6 > 0 ? (b - a) / k * 1e6 / $6 : 0), $8, $11, $13, l }' "$log"
}

trap 'jobs -p | xargs -r kill 2>/dev/null || true' EXIT
results="$out/results.txt"
: >"$results"
echo "rows: async = the per-socket async loops (before), batch = the batched I/O threads, shared = batched on $SHARED_PAIRS shared pair(s) (?rtp=symmetric); -off/-on = recording off/on" | tee -a "$results"
printf '%-10s %7s %9s %6s %8s %7s %6s %8s %9s %7s  %s\n' relay streams pkt/s cpu us/pkt ratio cpu_x loss% p50_us p99_us load1 | tee -a "$results"
for n in $STREAMS; do
  fwd_upp="" fwd_cpu=""
  for mode in $MODES; do
    list="$out/streams-$mode-$n.txt"
    if [ "$mode" = forwarder ]; then
      # One socket, each datagram back to its source port + 4000 (the same packets in and out as the server relays).
      port=47000
      for i in $(seq 0 $((n - 1))); do echo "$port $((44000 + 2 * i)) $((40000 + 2 * i))"; done >"$list"
      taskset -c 0 "$out/udpfwd" "$port" +4000 &
      pid=$!
      sleep 0.5
      row=$(measure "$list" "$pid" "$out/rtpload-$mode-$n.txt")
      kill "$pid"; wait "$pid" 2>/dev/null || true
    else
      base=${mode%-async}; base=${base%-shared}; base=${base%-render}; base=${base%-webrtc}
      rec=true; [ "$base" = off ] && rec=false
      batched=true; [ "${mode%-async}" != "$mode" ] && batched=false
      env_args=(--server-env "MediaServer__Recording__Enabled=$rec" --server-env "MediaServer__Rtp__BatchedIo=$batched")
      if [ "${mode%-shared}" != "$mode" ]; then env_args+=(--server-env "MediaServer__Rtp__SharedPairs=$SHARED_PAIRS" --symmetric); fi
      if [ "${mode%-webrtc}" != "$mode" ]; then env_args+=(--webrtc); fi
      hook=""
      if [ "${mode%-render}" != "$mode" ]; then
        # The render may take longer than the window at idle priority; its time limit must not end it first.
        env_args+=(--render-visit "$RENDER_SECONDS" --server-env "MediaServer__Recording__RenderTimeLimitMinimum=00:30:00")
        # What runs while it renders: the relay's busiest threads and FFmpeg (scheduling class, core), three times in the window.
        hook="echo render >&9; (for _ in 1 2 3; do sleep 2; top -H -b -n 2 -d 1 -p \$pid | awk '/^top/ { n++ } n == 2' | sed -n '6,13p'; ps -o pid,cls,ni,psr,pcpu,etimes,comm -C ffmpeg; echo; done) >'$out/render-top-$n.txt' 2>&1 &"
      fi
      for kv in $SERVER_ENV; do env_args+=(--server-env "$kv"); done
      if [ -n "${SERVER_DLL:-}" ]; then env_args+=(--server-dll "$SERVER_DLL"); fi
      fifo="$out/hold-$mode-$n"; rm -f "$fifo"; mkfifo "$fifo"
      taskset -c 1 "${loadgen[@]}" --visits $((n / 2)) --streams-out "$list" "${env_args[@]}" <"$fifo" >"$out/setup-$mode-$n.txt" 2>&1 &
      setup=$!
      exec 9>"$fifo"
      for _ in $(seq 1 600); do grep -q '^READY' "$out/setup-$mode-$n.txt" 2>/dev/null && break; kill -0 "$setup" 2>/dev/null || break; sleep 1; done
      if ! grep -q '^READY' "$out/setup-$mode-$n.txt"; then cat "$out/setup-$mode-$n.txt"; exec 9>&-; exit 1; fi
      pid=$(awk '/^READY/ { print $2 }' "$out/setup-$mode-$n.txt")
      # A thread may end between taskset's listing and its call (the pool retires idle workers): try again.
      for try in 1 2 3; do taskset -a -cp 0 "$pid" >/dev/null 2>&1 && break; [ "$try" = 3 ] && { echo "cannot pin $pid"; exit 1; }; done
      row=$(measure "$list" "$pid" "$out/rtpload-$mode-$n.txt" "$hook")
      # Threads started after the pinning (the pool grows under load) inherit it from their creator.
      exec 9>&-
      wait "$setup" || true
      if [ -n "$hook" ]; then
        echo "  render during the window: $(grep -h '^RENDERED' "$out/setup-$mode-$n.txt" || echo 'no RENDERED line') (state, seconds from the visit's end); threads during it: $out/render-top-$n.txt" >>"$out/render-notes.txt"
      fi
    fi
    read -r cpu upp loss p50 p99 load <<<"$row"
    [ "$mode" = forwarder ] && fwd_upp=$upp
    [ "$mode" = forwarder ] && fwd_cpu=$cpu
    ratio=$(awk -v c="$upp" -v f="${fwd_upp:-0}" 'BEGIN { if (f > 0) printf "%.2fx", c / f; else print "-" }')
    cpu_x=$(awk -v c="$cpu" -v f="${fwd_cpu:-0}" 'BEGIN { if (f > 0) printf "%.2fx", c / f; else print "-" }')
    case $mode in off) name="batch-off" ;; on) name="batch-on" ;; off-async) name="async-off" ;; on-async) name="async-on" ;;
      off-shared) name="shared-off" ;; on-shared) name="shared-on" ;; on-render) name="render-on" ;;
      off-webrtc) name="webrtc-off" ;; on-webrtc) name="webrtc-on" ;; *) name=$mode ;; esac
    if [ "${mode%-webrtc}" != "$mode" ]; then
      echo "  $name $n: $(grep -h '^srtp' "$out/rtpload-$mode-$n.txt" || echo 'no srtp line') (packets rtpload could not authenticate)" >>"$out/webrtc-notes.txt"
    fi
    printf '%-10s %7d %9d %6s %8s %7s %6s %8s %8s %9s  %s\n' "$name" "$n" $((n * PPS)) "$cpu" "$upp" "$ratio" "$cpu_x" "$loss" "$p50" "$p99" "$load" | tee -a "$results"
  done
done
if [ -f "$out/render-notes.txt" ]; then cat "$out/render-notes.txt" | tee -a "$results"; fi
if [ -f "$out/webrtc-notes.txt" ]; then cat "$out/webrtc-notes.txt" | tee -a "$results"; fi
{ echo; echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"; echo "uptime: $(uptime)"; echo "logs: $out"; } | tee -a "$results"
