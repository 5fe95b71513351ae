#!/usr/bin/python3
"""Sends Chaukas events to chaukas-gateway over gRPC, the way an agent SDK would.

    /usr/bin/python3 examples/python_client.py --target 127.0.0.1:50051

Needs only Debian's python3-grpcio and python3-protobuf (run with /usr/bin/python3, which
owns them). The message classes are generated from proto/ with protoc into a temporary
directory at start, so nothing generated is kept in the repository.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import grpc

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO_FILES = [
    "chaukas/spec/common/v1/events.proto",
    "chaukas/spec/common/v1/query.proto",
    "chaukas/spec/client/v1/client.proto",
    "chaukas/spec/server/v1/server.proto",
]


def load_messages():
    """Generates the *_pb2 modules with protoc and imports them."""
    out = tempfile.mkdtemp(prefix="chaukas-pb2-")
    proto_dir = os.path.join(REPO, "proto")
    subprocess.run(["protoc", "-I", proto_dir, "--python_out", out] +
                   [os.path.join(proto_dir, f) for f in PROTO_FILES], check=True)
    for package in ["chaukas", "chaukas/spec", "chaukas/spec/common", "chaukas/spec/client",
                    "chaukas/spec/server", "chaukas/spec/common/v1", "chaukas/spec/client/v1",
                    "chaukas/spec/server/v1"]:
        open(os.path.join(out, package, "__init__.py"), "a").close()
    sys.path.insert(0, out)
    from chaukas.spec.client.v1 import client_pb2
    from chaukas.spec.common.v1 import events_pb2
    from chaukas.spec.server.v1 import server_pb2
    # Imported modules live in memory: the generated files are no longer needed.
    sys.path.remove(out)
    shutil.rmtree(out, ignore_errors=True)
    return events_pb2, client_pb2, server_pb2


def unary(channel, service, method, request_class, response_class):
    """A callable for one gRPC method, without generated stubs."""
    return channel.unary_unary(f"/{service}/{method}",
                               request_serializer=request_class.SerializeToString,
                               response_deserializer=response_class.FromString)


def make_event(events_pb2, session_id, event_type, tenant, project, **content):
    event = events_pb2.Event(event_id=str(uuid.uuid4()), session_id=session_id,
                             tenant_id=tenant, project_id=project,
                             trace_id="trace-" + session_id, span_id=str(uuid.uuid4())[:8],
                             type=event_type, status=events_pb2.EVENT_STATUS_COMPLETED,
                             severity=events_pb2.SEVERITY_INFO, agent_name="example-agent",
                             **content)
    event.timestamp.GetCurrentTime()
    return event


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051", help="gateway gRPC address")
    parser.add_argument("--tenant", default="example-tenant")
    parser.add_argument("--project", default="example-project")
    args = parser.parse_args()

    events_pb2, client_pb2, server_pb2 = load_messages()
    client = "chaukas.spec.client.v1.ChaukasClientService"
    server = "chaukas.spec.server.v1.ChaukasServerService"
    channel = grpc.insecure_channel(args.target)
    grpc.channel_ready_future(channel).result(timeout=10)

    unary(channel, client, "Healthz", client_pb2.HealthzRequest, client_pb2.HealthzResponse)(
        client_pb2.HealthzRequest(), timeout=10)
    print(f"Healthz: ok ({args.target})")

    session = "session-" + uuid.uuid4().hex[:8]
    start = make_event(events_pb2, session, events_pb2.EVENT_TYPE_SESSION_START, args.tenant,
                       args.project)
    unary(channel, client, "IngestEvent", client_pb2.IngestEventRequest,
          client_pb2.IngestEventResponse)(client_pb2.IngestEventRequest(event=start), timeout=10)
    print(f"IngestEvent: SESSION_START of {session} accepted")

    batch = events_pb2.EventBatch(batch_id=str(uuid.uuid4()))
    batch.events.append(make_event(
        events_pb2, session, events_pb2.EVENT_TYPE_TOOL_CALL_START, args.tenant, args.project,
        tool_call=events_pb2.ToolCall(name="search", function_name="web.search")))
    batch.events.append(make_event(
        events_pb2, session, events_pb2.EVENT_TYPE_MODEL_INVOCATION_END, args.tenant,
        args.project, llm_invocation=events_pb2.LLMInvocation(provider="openai",
                                                              model="gpt-4o-mini",
                                                              total_tokens=42)))
    time.sleep(0.01)
    batch.events.append(make_event(events_pb2, session, events_pb2.EVENT_TYPE_SESSION_END,
                                   args.tenant, args.project))
    answer = unary(channel, server, "IngestEventBatch", server_pb2.IngestEventBatchRequest,
                   server_pb2.IngestEventBatchResponse)(
        server_pb2.IngestEventBatchRequest(event_batch=batch), timeout=10)
    print(f"IngestEventBatch: accepted {answer.accepted_count}, "
          f"rejected {answer.rejected_count}")

    invalid = make_event(events_pb2, session, events_pb2.EVENT_TYPE_ERROR, args.tenant,
                         args.project)
    invalid.ClearField("timestamp")
    try:
        unary(channel, client, "IngestEvent", client_pb2.IngestEventRequest,
              client_pb2.IngestEventResponse)(client_pb2.IngestEventRequest(event=invalid),
                                              timeout=10)
        print("an invalid event was accepted", file=sys.stderr)
        return 1
    except grpc.RpcError as error:
        print(f"invalid event refused: {error.code().name}: {error.details()}")

    stats = unary(channel, server, "GetEventStats", server_pb2.GetEventStatsRequest,
                  server_pb2.GetEventStatsResponse)(
        server_pb2.GetEventStatsRequest(tenant_id=args.tenant, project_id=args.project),
        timeout=10)
    by_type = ", ".join(f"{name}={count}" for name, count in sorted(stats.events_by_type.items()))
    print(f"GetEventStats: {stats.total_events} events in {stats.total_sessions} sessions "
          f"({by_type})")
    return 0 if answer.accepted_count == 3 and stats.total_events >= 4 else 1


if __name__ == "__main__":
    sys.exit(main())
