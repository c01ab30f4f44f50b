#!/usr/bin/env bash
# Acceptance (not in the JUnit suite): a three-node Cassandra cluster on 127.0.0.1, .2 and .3, replication factor 3.
# One node is killed (SIGKILL) while 'simulate' and two impurge workers (two "hosts": two store directories) run;
# the work goes on at LOCAL_QUORUM; the node comes back, is repaired; then nothing may be lost or resurrected:
# every mailbox reads the same at LOCAL_QUORUM and at ALL (every replica), passes 'reconstruct -n', and every
# message's blob matches its size and checksum (some are read back whole).
#
# Needs about 4 GiB of memory and 10 minutes on 2 cores. Usage: src/test/cassandra/three-node.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/../../.."
JAR=target/mstore.jar
[ -f "$JAR" ] && [ -f target/cassandra/classpath.txt ] || mvn -q -B package -DskipTests
W=${1:-$(mktemp -d /tmp/mstore-3node.XXXXXX)}
M="java -XX:TieredStopAtLevel=1 -jar $JAR"
CP=127.0.0.1:9042,127.0.0.2:9042,127.0.0.3:9042
say() { echo "[$(date +%H:%M:%S)] $*"; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for n in 1 2 3; do $M cassandra stop --dir "$W/n$n" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

say "work directory $W"
for n in 1 2 3; do   # one at a time: Cassandra refuses concurrent bootstraps
  say "starting node $n on 127.0.0.$n"
  $M cassandra start --dir "$W/n$n" --listen-address 127.0.0.$n --jmx-port $((7099 + 100 * n)) --seeds 127.0.0.1:7000 --heap 1g --timeout 300
done
$M cassandra nodetool --dir "$W/n1" -- status || true

A="--store $W/hostA"; B="--store $W/hostB"
$M init $A --backend cassandra --contact-point $CP --datacenter datacenter1 --replication 3 --lease-seconds 10
$M init $B --backend cassandra --contact-point $CP --datacenter datacenter1 --replication 3 --lease-seconds 10
$M msconfig set store.cleanupsize 20 $A
$M msconfig set store.cleanupage 0s $A
$M generate --users 6 --folders 1 --messages 150 $A

say "simulate and two impurge workers (hosts A and B) start"
$M simulate --rate 15 --seconds 150 $A > "$W/simulate.log" 2>&1 & pids+=($!); SIM=$!
$M impurge $A > "$W/impurge-A.log" 2>&1 & pids+=($!); IA=$!
$M impurge $B > "$W/impurge-B.log" 2>&1 & pids+=($!); IB=$!
sleep 30
N3=$(sed -n 's/^pid=//p' "$W/n3/node.properties")
say "killing node 3 (pid $N3) with SIGKILL"
kill -9 "$N3"
sleep 60
say "after 60 s with node 3 down: simulate $(tail -1 "$W/simulate.log" 2>/dev/null), impurge A $(grep -c . "$W/impurge-A.log") lines, B $(grep -c . "$W/impurge-B.log") lines"
kill -0 $SIM && kill -0 $IA && kill -0 $IB && say "simulate and both workers still run at LOCAL_QUORUM"
$M imcheck -q $A | head -5
say "node 3 comes back"
$M cassandra start --dir "$W/n3" --listen-address 127.0.0.3 --jmx-port 7399 --seeds 127.0.0.1:7000 --heap 1g --timeout 300
wait $SIM || { say "simulate failed"; cat "$W/simulate.log"; exit 1; }
say "simulate done: $(tail -1 "$W/simulate.log")"
for n in 1 2 3; do say "nodetool repair on node $n"; $M cassandra nodetool --dir "$W/n$n" -- repair -full >/dev/null; done
$M msconfig set store.cleanupage 0s $A
sleep 20
kill $IA $IB 2>/dev/null || true; wait $IA $IB 2>/dev/null || true
$M impurge --exit-when-empty --quiet $A
say "queue after the workers: $(($($M imcheck -q $A | wc -l) - 2)) entries"

say "checking every mailbox at LOCAL_QUORUM and at ALL"
$M init --store "$W/check-all" --backend cassandra --contact-point $CP --datacenter datacenter1 --replication 3 --consistency ALL >/dev/null
fail=0
for box in $($M mboxutil -l $A | awk '{print $1}' | grep '^user/'); do
  q=$($M imcheck -m "$box" --limit 100000 $A | sed -n '/^UID  *Flags/,$p')
  all=$($M imcheck -m "$box" --limit 100000 --store "$W/check-all" | sed -n '/^UID  *Flags/,$p')
  if [ "$q" != "$all" ]; then say "DIFFERENT at ALL: $box"; fail=1; fi
  $M reconstruct -n "$box" $A >/dev/null || { say "reconstruct -n found problems in $box"; fail=1; }
  # reconstruct -n checked every blob's size and checksum; read the newest message whole (a JVM per read is slow)
  for uid in $(echo "$q" | awk 'NR>1 {print $1}' | grep -E '^[0-9]+$' | tail -1); do
    $M client fetch "$box" "$uid" $A >/dev/null 2>&1 || { say "cannot read $box $uid"; fail=1; }
  done
  say "$box: $(($(echo "$q" | wc -l) - 1)) messages, the same at LOCAL_QUORUM and ALL"
done
grep -h "Error\|Critical" "$W/hostA/log/default" "$W/hostB/log/default" | tail -5 || true
[ $fail = 0 ] && say "PASS: nothing lost, nothing resurrected" || { say "FAIL"; exit 1; }
