#!/usr/bin/env bash
# mbsync (isync, a client no one here wrote) synchronises a mailbox both ways between the server and a Maildir.
# Usage: mbsync_roundtrip.sh HOST PORT USER PASSWORD WORKDIR
set -euo pipefail
host=$1 port=$2 user=$3 pass=$4 work=$5
mkdir -p "$work/maildir"
cat > "$work/mbsyncrc" <<RC
IMAPAccount test
Host $host
Port $port
User $user
Pass "$pass"
SSLType None
AuthMechs PLAIN LOGIN

IMAPStore remote
Account test

MaildirStore local
Path $work/maildir/
Inbox $work/maildir/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
RC
chmod 600 "$work/mbsyncrc"
mbsync -c "$work/mbsyncrc" -a
