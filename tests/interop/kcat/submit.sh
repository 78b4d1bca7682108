#!/usr/bin/env bash
# Submits a task to a KafClaw group in open mode with kcat, and prints the answer's JSON.
#
#   tests/interop/kcat/submit.sh BROKERS GROUP "what to do" [WAIT_SECONDS]
#
# The request goes to group.<g>.requests, keyed by its task id and placed by the murmur2
# partitioner as every member's producer places it; `arbiter: "none"` means the first worker's
# claim is the grant. The answer is the `response` record keyed by the same task id on
# group.<g>.responses.
set -euo pipefail
brokers="$1" group="$2" content="$3" wait="${4:-60}"
me="kcat-$(id -u)"
task="task-$(date +%s)-$RANDOM$RANDOM"
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
text="$(printf '%s' "$content" | sed 's/\\/\\\\/g; s/"/\\"/g')"
printf '%s\t%s\n' "$task" "{\"type\":\"request\",\"correlation_id\":\"$task\",\"sender_id\":\"$me\",\
\"timestamp\":\"$now\",\"protocol\":\"kafclaw/1\",\"payload\":{\"task_id\":\"$task\",\"attempt\":1,\
\"description\":\"from kcat\",\"content\":\"$text\",\"requester_id\":\"$me\",\"arbiter\":\"none\"}}" |
  kcat -b "$brokers" -P -t "group.$group.requests" -K $'\t' -X partitioner=murmur2_random
echo "submitted $task" >&2

# Poll the responses until the one for this task is there (kcat -e reads to the end, then exits).
deadline=$((SECONDS + wait))
while [ $SECONDS -lt "$deadline" ]; do
  answer="$(kcat -b "$brokers" -C -t "group.$group.responses" -o beginning -e -q -f '%k\t%s\n' |
    awk -F'\t' -v task="$task" '$1 == task { print $2; exit }')"
  if [ -n "$answer" ]; then
    printf '%s\n' "$answer"
    exit 0
  fi
  sleep 0.5
done
echo "no answer to $task within ${wait}s" >&2
exit 1
