#!/usr/bin/env bash
# A walk through the gateway's HTTP API with curl. Start the gateway first (`make run`),
# then: bash examples/curl_walkthrough.sh
# GATEWAY (default http://127.0.0.1:8080) and ADMIN (default http://127.0.0.1:9901) point
# it elsewhere. Each step prints the command, the status and the answer.
set -euo pipefail
GATEWAY=${GATEWAY:-http://127.0.0.1:8080}
ADMIN=${ADMIN:-http://127.0.0.1:9901}
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)

step() {  # step <expected status> <title> <curl args...>
  local expected=$1 title=$2
  shift 2
  echo "== $title"
  echo "\$ curl $*"
  local output status
  output=$(curl -sS -w '\n%{http_code}' "$@")
  status=${output##*$'\n'}
  echo "${output%$'\n'*}"
  echo "-> HTTP $status"
  if [[ $status != "$expected" ]]; then
    echo "expected HTTP $expected" >&2
    exit 1
  fi
  echo
}

step 200 "Is the gateway up?" "$GATEWAY/healthz"

step 202 "One event, in the OpenAPI JSON shape (short enum names, content.kind)" \
  -H 'Content-Type: application/json' "$GATEWAY/v1/events" -d '{
    "event_id": "curl-evt-1", "session_id": "curl-session", "tenant_id": "demo",
    "project_id": "walkthrough", "type": "TOOL_CALL_START", "status": "STARTED",
    "timestamp": "'"$now"'",
    "content": {"kind": "tool_call", "name": "search", "arguments": {"q": "weather"}}
  }'

step 202 "A batch in canonical proto3 JSON (full enum names, oneof as a field)" \
  -H 'Content-Type: application/json' "$GATEWAY/v1/events/batch" -d '{
    "batch_id": "curl-batch-1",
    "events": [
      {"event_id": "curl-evt-2", "session_id": "curl-session", "tenant_id": "demo",
       "type": "EVENT_TYPE_MODEL_INVOCATION_END", "status": "EVENT_STATUS_COMPLETED",
       "timestamp": "'"$now"'",
       "llm_invocation": {"provider": "openai", "model": "gpt-4o-mini", "total_tokens": 42}},
      {"event_id": "curl-evt-3", "session_id": "curl-session", "tenant_id": "demo",
       "type": "EVENT_TYPE_SESSION_END", "status": "EVENT_STATUS_COMPLETED",
       "timestamp": "'"$now"'"}
    ]}'

step 400 "An event without a timestamp is refused, naming the field" \
  -H 'Content-Type: application/json' "$GATEWAY/v1/events" \
  -d '{"event_id": "curl-bad", "session_id": "s", "type": "ERROR", "status": "FAILED"}'

step 415 "Only JSON and binary protobuf bodies are accepted" \
  -H 'Content-Type: text/plain' "$GATEWAY/v1/events" -d 'hello'

step 200 "What the gateway offers" "$GATEWAY/v1/capabilities"

echo "== What the gateway counted"
echo "\$ curl $ADMIN/stats | grep events_accepted"
curl -sS "$ADMIN/stats" | grep events_accepted
