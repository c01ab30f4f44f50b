#!/usr/bin/env bash
# Rebuilds sample-store/: a small generated store prepared so that a new user sees every action at once:
#   user/user0001          past store.cleanupsize            -> Clean queued
#   user/user0002/Lists     past the purge thresholds         -> Purge queued
#   user/user0003/Drafts  a corrupt store.idx               -> Repair queued (self-healing on open)
#   user/user0004/Trash    cleaned, files awaiting Remove    -> Remove queued (due after store.cleanupage)
# store.purge.enable is false in the sample, so the console does not drain the queue before you look.
# Usage: src/sample/make-sample-store.sh   (from the repository root, after mvn package)
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=target/mstore.jar
[ -f "$JAR" ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 1; }
OUT=sample-store
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
S=(--store "$WORK/store")
m() { java -jar "$JAR" "$@" "${S[@]}"; }

m generate --users 4 --folders 3 --messages 120 --seed 2026 >/dev/null
# A bigger Lists folder, so that it can pass store.purge.count (500).
m generate --mailbox user/user0002/Lists --messages 900 --seed 7 >/dev/null
m msconfig set store.purge.enable false >/dev/null

# user0002/Lists: expunge 600 and let Clean and Remove run now (with the purge threshold out of reach),
# which leaves 600 of 900 cache records expunged: past store.purge.count and store.purge.percentage.
m client delete user/user0002/Lists 1:600 >/dev/null
m client expunge user/user0002/Lists >/dev/null
m msconfig set store.cleanupage 0s >/dev/null
m msconfig set store.purge.count 100000 >/dev/null
m impurge --exit-when-empty --quiet >/dev/null
m msconfig reset store.cleanupage >/dev/null
# user0004/Trash: clean now; its Remove waits for store.cleanupage.
m client delete user/user0004/Trash 1:110 >/dev/null
m client expunge user/user0004/Trash >/dev/null
m impurge --exit-when-empty --quiet >/dev/null
m msconfig reset store.purge.count >/dev/null
# The Purge that user0002/Lists' counts call for.
m impurge --queue-only >/dev/null
# user0001: past store.cleanupsize (100): Clean queued.
m client delete user/user0001 1:110 >/dev/null
m client expunge user/user0001 >/dev/null
# user0003/Drafts: a corrupt index, not yet noticed: the first client to open it (or Check, or Repair now)
# finds it, and a Repair is queued.
IDX=$(find "$WORK/store/partition" -path '*=user0003/folders/Drafts/store.idx')
printf 'corrupt!' | dd of="$IDX" bs=1 seek=120 conv=notrunc status=none
m imcheck -q

rm -rf "$OUT"
cp -a "$WORK/store" "$OUT"
rm -f "$OUT"/mboxlist/*.lock.db "$OUT"/mboxlist/*.trace.db "$OUT"/mboxlist/purge.session.lck
touch "$OUT/.mstore-sample"
du -sh "$OUT"
