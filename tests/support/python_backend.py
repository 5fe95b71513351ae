#!/usr/bin/python3
"""A Chaukas backend for integration tests, serving gRPC and HTTP.

    /usr/bin/python3 tests/support/python_backend.py --grpc-port 0 --grpc-port-file grpc.port \
        --http-port 0 --http-port-file http.port --record record.tsv --control control

The twin of chaukas-test-backend (tests/support/test_backend.cc), with the same flags, files
and control modes, plus HTTP. gRPC: the whole chaukas.spec.server.v1.ChaukasServerService.
HTTP: POST /v1/events/batch and /v1/events (application/x-protobuf: a serialized
chaukas.spec.client.v1 IngestEventBatchRequest / IngestEventRequest; application/json:
canonical proto3 JSON of an EventBatch / Event, or of the request wrapping it), GET /healthz,
GET /v1/capabilities, POST /v1/query. Ingest answers 202 with the server package's response,
as protobuf or JSON like the request (or as its Accept header asks).

Control file (re-read before each call; missing or empty means ok; the first line counts):
  ok | fail CODE [MESSAGE] | fail_then_ok N CODE | stall | reject ID... | unhealthy
CODE is a gRPC code name or number, or an HTTP status; each side answers its own equivalent.

Needs Debian's python3-grpcio and python3-protobuf: run it with /usr/bin/python3.
"""

import argparse
import json
import os
import select
import shutil
import signal
import socket
import sys
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # importing the example must leave no __pycache__ in the tree
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "examples"))

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from google.protobuf.message import DecodeError  # noqa: E402
from python_client import load_messages  # noqa: E402

SERVICE = "chaukas.spec.server.v1.ChaukasServerService"
PROTOBUF_TYPES = ("application/x-protobuf", "application/protobuf", "application/octet-stream")

# gRPC code -> HTTP status, and back for the codes tests use; test_backend.cc maps HTTP
# statuses to codes the same way.
HTTP_OF_CODE = {
    grpc.StatusCode.OK: 200, grpc.StatusCode.CANCELLED: 499, grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404, grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403, grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400, grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400, grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500, grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500, grpc.StatusCode.UNAUTHENTICATED: 401,
}
CODE_OF_HTTP = {
    400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED, 404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.ABORTED, 429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    501: grpc.StatusCode.UNIMPLEMENTED, 502: grpc.StatusCode.UNAVAILABLE,
    503: grpc.StatusCode.UNAVAILABLE, 504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


def load_all_messages():
    """The generated modules (see examples/python_client.py), as a namespace.

    The generated files are deleted once imported: the classes live in memory from then on.
    """
    events_pb2, client_pb2, server_pb2 = load_messages()
    from chaukas.spec.common.v1 import query_pb2
    generated_dir = events_pb2.__file__
    for _ in range(5):  # <dir>/chaukas/spec/common/v1/events_pb2.py
        generated_dir = os.path.dirname(generated_dir)
    shutil.rmtree(generated_dir, ignore_errors=True)
    return argparse.Namespace(events=events_pb2, query=query_pb2, client=client_pb2,
                              server=server_pb2)


PB = load_all_messages()


def one_field(text):
    """Client text made safe for the tab-separated record and ;-separated metadata lines."""
    return "".join("?" if c in "\t\n\r;" else c for c in text)


# ---- Control modes ----------------------------------------------------------------------

class Mode:
    """One line of the control file."""

    def __init__(self, kind="ok", code=grpc.StatusCode.OK, http_status=200, message="",
                 fail_count=0, rejected_ids=()):
        self.kind = kind  # ok, fail, fail_then_ok, stall, reject, unhealthy
        self.code = code
        self.http_status = http_status
        self.message = message
        self.fail_count = fail_count
        self.rejected_ids = set(rejected_ids)

    def failing(self):
        return Mode("fail", self.code, self.http_status, self.message)


def parse_code(text):
    """(gRPC code, HTTP status) of a code name, a gRPC code number or an HTTP status."""
    for code in grpc.StatusCode:
        if text == code.name:
            return code, HTTP_OF_CODE[code]
    if text.isdigit():
        number = int(text)
        for code in grpc.StatusCode:
            if code.value[0] == number:
                return code, HTTP_OF_CODE[code]
        if 100 <= number <= 599:
            default = grpc.StatusCode.FAILED_PRECONDITION if number < 500 else \
                grpc.StatusCode.INTERNAL
            return CODE_OF_HTTP.get(number, default), number
    raise ValueError(f'"{text}" is not a gRPC code or HTTP status')


def parse_mode(line):
    words = line.split()
    verb, rest = (words[0], words[1:]) if words else ("ok", [])
    if verb in ("ok", "stall", "unhealthy"):
        return Mode(verb)
    if verb == "reject":
        return Mode("reject", rejected_ids=rest)
    if verb == "fail":
        if not rest:
            raise ValueError("fail needs a code: fail CODE [MESSAGE]")
        code, http_status = parse_code(rest[0])
        return Mode("fail", code, http_status,
                    " ".join(rest[1:]) or f"test backend mode: {line.strip()}")
    if verb == "fail_then_ok":
        if len(rest) < 2 or not rest[0].isdigit():
            raise ValueError("fail_then_ok needs a count and a code: fail_then_ok N CODE")
        code, http_status = parse_code(rest[1])
        return Mode("fail_then_ok", code, http_status, f"test backend mode: {line.strip()}",
                    fail_count=int(rest[0]))
    raise ValueError(f'unknown mode "{verb}"')


class ControlFile:
    """The --control file, read again before every call. Any change of its content starts a
    new mode, so a fail_then_ok written anew fails N more calls."""

    def __init__(self, path):
        self._path = path
        self._lock = threading.Lock()
        self._content = ""
        self._mode = Mode()
        self._failures_left = 0

    def current(self):
        with self._lock:
            self._reload()
            return self._mode

    def take_for_ingest(self):
        """The mode of one ingest call: fail_then_ok becomes fail (using up one failure) or ok."""
        with self._lock:
            self._reload()
            if self._mode.kind != "fail_then_ok":
                return self._mode
            if self._failures_left > 0:
                self._failures_left -= 1
                return self._mode.failing()
            return Mode()

    def _reload(self):
        content = ""
        if self._path:
            try:
                with open(self._path, encoding="utf-8", errors="replace") as control:
                    content = control.read()
            except FileNotFoundError:
                pass
        if content == self._content:
            return
        self._content = content
        first_line = content.split("\n", 1)[0]
        try:
            self._mode = parse_mode(first_line)
        except ValueError as error:
            # Loud rather than ignored: every ingest call fails and names the mistake.
            print(f"python_backend: control file: {error}", file=sys.stderr, flush=True)
            self._mode = Mode("fail", grpc.StatusCode.INTERNAL, 500,
                              f'bad control line "{first_line}": {error}')
        self._failures_left = self._mode.fail_count
        print(f'python_backend: mode "{first_line}"', file=sys.stderr, flush=True)


# ---- Recording --------------------------------------------------------------------------

class Recorder:
    """What the backend received: the record files (flushed before the call is answered) and
    the accepted events in memory for QueryEvents and GetEventStats. Thread-safe."""

    def __init__(self, record_path, metadata_path):
        self._lock = threading.Lock()
        self._record = open(record_path, "a", encoding="utf-8") if record_path else None
        self._metadata = open(metadata_path, "a", encoding="utf-8") if metadata_path else None
        self._calls = 0  # numbered on from an earlier run's metadata record
        if metadata_path and os.path.exists(metadata_path):
            with open(metadata_path, "rb") as previous:
                self._calls = previous.read().count(b"\n")
        self._events = []

    def begin_call(self, metadata_line):
        """Counts an ingest call, writes its metadata line, and returns its number (1, 2...)."""
        with self._lock:
            if self._metadata:
                self._metadata.write(metadata_line + "\n")
                self._metadata.flush()
            self._calls += 1
            return self._calls

    def record_events(self, call, events):
        with self._lock:
            if self._record:
                self._record.write("".join(
                    f"{one_field(e.event_id)}\t{one_field(e.tenant_id)}\t"
                    f"{one_field(e.session_id)}\t{call}\n" for e in events))
                self._record.flush()
            for event in events:
                copy = PB.events.Event()
                copy.CopyFrom(event)
                self._events.append(copy)

    def query(self, query_filter):
        """Events of filter.session_id (all when empty) and filter.tenant_id (when set)."""
        with self._lock:
            return [e for e in self._events
                    if (not query_filter.session_id or e.session_id == query_filter.session_id)
                    and (not query_filter.tenant_id or e.tenant_id == query_filter.tenant_id)]

    def stats(self, request):
        response = PB.server.GetEventStatsResponse()
        sessions = set()
        with self._lock:
            for event in self._events:
                if request.tenant_id and event.tenant_id != request.tenant_id:
                    continue
                if request.project_id and event.project_id != request.project_id:
                    continue
                response.total_events += 1
                sessions.add(event.session_id)
                response.events_by_type[PB.events.EventType.Name(event.type)] += 1
        response.total_sessions = len(sessions)
        return response


def metadata_line(pairs):
    """authorization, x-api-key and every x-* header: "authorization=Bearer a;x-tenant=b"."""
    kept = sorted(((name.lower(), value) for name, value in pairs
                   if name.lower() == "authorization" or name.lower().startswith("x-")),
                  key=lambda pair: pair[0])
    return ";".join(f"{one_field(name)}={one_field(str(value))}" for name, value in kept)


# ---- The backend ------------------------------------------------------------------------

class Backend:
    """The behaviour both protocols share: modes, recording, answers."""

    def __init__(self, control, recorder):
        self.control = control
        self.recorder = recorder
        self.stopping = threading.Event()

    def ingest_mode(self, call, still_waiting):
        """The mode of ingest call number `call`; while stall, waits until the mode changes.
        None when the client went away (still_waiting() turned false) or the backend is
        stopping."""
        mode = self.control.take_for_ingest()
        if mode.kind != "stall":
            return mode
        while mode.kind == "stall":
            if self.stopping.is_set() or not still_waiting():
                mode = None
                break
            time.sleep(0.01)
            mode = self.control.take_for_ingest()
        # Logged, so a test can wait for a stall to be over.
        if mode is None:
            outcome = "UNAVAILABLE" if self.stopping.is_set() else "DEADLINE_EXCEEDED"
        else:
            outcome = mode.code.name if mode.kind == "fail" else "OK"
        print(f"python_backend: stalled call {call} finished: {outcome}", file=sys.stderr,
              flush=True)
        return mode

    def accept(self, mode, call, events):
        """Records the events `mode` does not reject; returns the rejected ids."""
        rejected = [e.event_id for e in events
                    if mode.kind == "reject" and e.event_id in mode.rejected_ids]
        self.recorder.record_events(
            call, [e for e in events if not (mode.kind == "reject" and
                                             e.event_id in mode.rejected_ids)])
        return rejected

    def batch_answer(self, mode, call, batch):
        rejected = self.accept(mode, call, batch.events)
        return PB.server.IngestEventBatchResponse(
            batch_id=batch.batch_id, accepted_count=len(batch.events) - len(rejected),
            rejected_count=len(rejected), rejected_event_ids=rejected)

    def event_answer(self, mode, call, event, has_event):
        rejected = self.accept(mode, call, [event]) if has_event else []
        return PB.server.IngestEventResponse(event_id=event.event_id,
                                             status="rejected" if rejected else "accepted",
                                             processed_at=int(time.time() * 1000))

    @staticmethod
    def capabilities():
        # Not the gateway's own set (policy_decisions, data_access_events): a test can tell
        # who answered.
        return PB.query.Capabilities(worm_retention=True, audit_proofs=True)


# ---- gRPC -------------------------------------------------------------------------------

class GrpcService:
    """chaukas.spec.server.v1.ChaukasServerService through generic handlers (no stubs)."""

    def __init__(self, backend):
        self.backend = backend

    def handler(self):
        def unary(function, request_class, response_class):
            return grpc.unary_unary_rpc_method_handler(
                function, request_deserializer=request_class.FromString,
                response_serializer=response_class.SerializeToString)
        server = PB.server
        return grpc.method_handlers_generic_handler(SERVICE, {
            "Healthz": unary(self.healthz, server.HealthzRequest, server.HealthzResponse),
            "GetCapabilities": unary(self.get_capabilities, server.GetCapabilitiesRequest,
                                     server.GetCapabilitiesResponse),
            "IngestEvent": unary(self.ingest_event, server.IngestEventRequest,
                                 server.IngestEventResponse),
            "IngestEventBatch": unary(self.ingest_event_batch, server.IngestEventBatchRequest,
                                      server.IngestEventBatchResponse),
            "QueryEvents": unary(self.query_events, server.QueryEventsRequest,
                                 server.QueryEventsResponse),
            "GetEventStats": unary(self.get_event_stats, server.GetEventStatsRequest,
                                   server.GetEventStatsResponse),
        })

    def healthz(self, request, context):
        if self.backend.control.current().kind == "unhealthy":
            context.set_code(grpc.StatusCode.UNAVAILABLE)
            context.set_details("test backend: unhealthy")
        return PB.server.HealthzResponse()

    def get_capabilities(self, request, context):
        return PB.server.GetCapabilitiesResponse(capabilities=self.backend.capabilities())

    def ingest_event(self, request, context):
        return self._ingest(context, PB.server.IngestEventResponse, lambda mode, call: (
            self.backend.event_answer(mode, call, request.event, request.HasField("event"))))

    def ingest_event_batch(self, request, context):
        return self._ingest(context, PB.server.IngestEventBatchResponse, lambda mode, call: (
            self.backend.batch_answer(mode, call, request.event_batch)))

    def query_events(self, request, context):
        response = PB.server.QueryEventsResponse()
        response.response.events.extend(self.backend.recorder.query(request.query.filter))
        return response

    def get_event_stats(self, request, context):
        return self.backend.recorder.stats(request)

    def _ingest(self, context, response_class, answer):
        call = self.backend.recorder.begin_call(metadata_line(context.invocation_metadata()))

        def still_waiting():
            remaining = context.time_remaining()
            return context.is_active() and (remaining is None or remaining > 0)

        mode = self.backend.ingest_mode(call, still_waiting)
        if mode is None:
            stopping = self.backend.stopping.is_set()
            context.set_code(grpc.StatusCode.UNAVAILABLE if stopping
                             else grpc.StatusCode.DEADLINE_EXCEEDED)
            context.set_details("test backend stopping" if stopping
                                else "stalled past the deadline")
            return response_class()
        if mode.kind == "fail":
            context.set_code(mode.code)
            context.set_details(mode.message)
            return response_class()
        return answer(mode, call)


# ---- HTTP -------------------------------------------------------------------------------

ENUM_PREFIXES = {"order_by_time": "SORT_ORDER_", "orderByTime": "SORT_ORDER_",
                 "types": "EVENT_TYPE_", "statuses": "EVENT_STATUS_", "severities": "SEVERITY_"}


def full_enum_names(query):
    """A QueryRequest in JSON with the published API's short enum names ("DESC") made
    canonical ("SORT_ORDER_DESC"), so protobuf's parser takes either."""
    def full(prefix, value):
        return prefix + value if isinstance(value, str) and not value.startswith(prefix) \
            else value
    if not isinstance(query, dict):
        return query
    for part in (query, query.get("filter")):
        for key, prefix in ENUM_PREFIXES.items():
            if isinstance(part, dict) and key in part:
                value = part[key]
                part[key] = [full(prefix, v) for v in value] if isinstance(value, list) \
                    else full(prefix, value)
    return query


class HttpHandler(BaseHTTPRequestHandler):
    """The published HTTP API's routes, on HTTP/1.1 with keep-alive."""

    protocol_version = "HTTP/1.1"
    server_version = "chaukas-python-backend"

    @property
    def backend(self):
        return self.server.backend

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            if self.backend.control.current().kind == "unhealthy":
                self._send_json(503, {"status": "unhealthy"})
            else:
                self._send_json(200, {"status": "ok"})
        elif path == "/v1/capabilities":
            self._send_message(200, self.backend.capabilities(), as_protobuf=False)
        else:
            self._send_json(404, {"error": f"no route for GET {path}"})

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        body = self._read_body()
        routes = {"/v1/events/batch": self._ingest_batch, "/v1/events": self._ingest_event,
                  "/v1/query": self._query}
        if path not in routes:
            self._send_json(404, {"error": f"no route for POST {path}"})
            return
        try:
            routes[path](body)
        except (ValueError, json_format.ParseError, DecodeError) as error:
            self._send_json(400, {"error": f"{path}: {error}"})

    def _ingest_batch(self, body):
        if self._is_protobuf():
            batch = PB.client.IngestEventBatchRequest.FromString(body).event_batch
        else:
            document = json.loads(body)
            if isinstance(document, dict) and ("event_batch" in document or
                                               "eventBatch" in document):
                batch = json_format.ParseDict(document,
                                              PB.server.IngestEventBatchRequest()).event_batch
            else:
                batch = json_format.ParseDict(document, PB.events.EventBatch())
        self._ingest(lambda mode, call: self.backend.batch_answer(mode, call, batch))

    def _ingest_event(self, body):
        if self._is_protobuf():
            request = PB.client.IngestEventRequest.FromString(body)
        else:
            document = json.loads(body)
            if isinstance(document, dict) and "event" in document:
                request = json_format.ParseDict(document, PB.client.IngestEventRequest())
            else:
                request = PB.client.IngestEventRequest(
                    event=json_format.ParseDict(document, PB.events.Event()))
        self._ingest(lambda mode, call: self.backend.event_answer(
            mode, call, request.event, request.HasField("event")))

    def _query(self, body):
        if self._is_protobuf():
            query = PB.query.QueryRequest.FromString(body)
        else:
            query = json_format.ParseDict(full_enum_names(json.loads(body)),
                                          PB.query.QueryRequest())
        response = PB.query.QueryResponse(events=self.backend.recorder.query(query.filter))
        self._send_message(200, response, self._answer_protobuf())

    def _ingest(self, answer):
        call = self.backend.recorder.begin_call(metadata_line(self.headers.items()))
        mode = self.backend.ingest_mode(call, self._client_connected)
        if mode is None:
            if self.backend.stopping.is_set():
                self._send_json(503, {"error": "test backend stopping"})
            else:
                self.close_connection = True  # the client left: nobody to answer
            return
        if mode.kind == "fail":
            self._send_json(mode.http_status, {"error": mode.message})
            return
        self._send_message(202, answer(mode, call), self._answer_protobuf())

    def _client_connected(self):
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return True
        try:
            return self.connection.recv(1, socket.MSG_PEEK) != b""
        except OSError:
            return False

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def _content_type(self):
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    def _is_protobuf(self):
        return self._content_type() in PROTOBUF_TYPES

    def _answer_protobuf(self):
        accept = self.headers.get("Accept", "").lower()
        if "json" in accept:
            return False
        return "protobuf" in accept or self._is_protobuf()

    def _send_message(self, status, message, as_protobuf):
        if as_protobuf:
            self._send(status, message.SerializeToString(), "application/x-protobuf")
        else:
            self._send(status, json_format.MessageToJson(
                message, preserving_proto_field_name=True).encode(), "application/json")

    def _send_json(self, status, document):
        self._send(status, json.dumps(document).encode(), "application/json")

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must not hold up the exit
    allow_reuse_address = True  # SO_REUSEADDR: a restarted backend binds its port at once

    def __init__(self, address, backend):
        super().__init__(address, HttpHandler)
        self.backend = backend


# ---- Process ----------------------------------------------------------------------------

def write_atomically(path, content):
    """Written to a temporary name and renamed, so a reader never sees half a file."""
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(content + "\n")
    os.replace(temporary, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grpc-port", type=int, help="gRPC on 127.0.0.1:N (0: ephemeral)")
    parser.add_argument("--grpc-port-file", help="once listening, the bound gRPC port")
    parser.add_argument("--http-port", type=int, help="HTTP on 127.0.0.1:N (0: ephemeral)")
    parser.add_argument("--http-port-file", help="once listening, the bound HTTP port")
    parser.add_argument("--record", help="per accepted event: event_id, tenant_id, "
                        "session_id, call_number (tab-separated)")
    parser.add_argument("--metadata-record", help="per ingest call: auth and x-* headers "
                        "(calls are numbered on from the lines already there)")
    parser.add_argument("--control", help="the mode file")
    args = parser.parse_args()
    if args.grpc_port is None and args.http_port is None:
        parser.error("give --grpc-port, --http-port or both")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    backend = Backend(ControlFile(args.control), Recorder(args.record, args.metadata_record))
    grpc_server = http_server = None
    if args.grpc_port is not None:
        grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=32),
                                  options=[("grpc.so_reuseport", 0)])
        grpc_server.add_generic_rpc_handlers((GrpcService(backend).handler(),))
        try:
            port = grpc_server.add_insecure_port(f"127.0.0.1:{args.grpc_port}")
        except RuntimeError:
            port = 0
        if port == 0:
            print(f"python_backend: cannot listen on 127.0.0.1:{args.grpc_port}", file=sys.stderr)
            return 1
        grpc_server.start()
        if args.grpc_port_file:
            write_atomically(args.grpc_port_file, str(port))
        print(f"python_backend: gRPC on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    if args.http_port is not None:
        try:
            http_server = HttpServer(("127.0.0.1", args.http_port), backend)
        except OSError as error:
            print(f"python_backend: cannot listen on 127.0.0.1:{args.http_port}: {error}",
                  file=sys.stderr)
            if grpc_server:
                grpc_server.stop(None)
            return 1
        threading.Thread(target=http_server.serve_forever, daemon=True).start()
        if args.http_port_file:
            write_atomically(args.http_port_file, str(http_server.server_address[1]))
        print(f"python_backend: HTTP on 127.0.0.1:{http_server.server_address[1]}",
              file=sys.stderr, flush=True)

    while not stop.wait(0.2):
        pass
    print("python_backend: stopping", file=sys.stderr, flush=True)
    backend.stopping.set()  # releases stalled calls
    if http_server:
        http_server.shutdown()
        http_server.server_close()
    if grpc_server:
        grpc_server.stop(grace=0.2).wait()  # as test_backend.cc, which says why
    return 0


if __name__ == "__main__":
    sys.exit(main())
