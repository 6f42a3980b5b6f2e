#!/usr/bin/env python3
"""Checks that a peer speaks the same API as the reference server, both serving one seeded database.

    check_same_api.py http://127.0.0.1:8080 http://127.0.0.1:8081

Reads (health, project and workflow lists, single items, statistics) must give the same status and the
same JSON, byte for byte once health timestamps are set aside; HEAD must answer as GET without the body.
Mutations are made on each server's own objects; their generated IDs and timestamps are checked for format
only, the rest byte for byte. Errors must agree on status, error code, the names of the invalid fields
(their wording may differ) and, on a 405, `Allow`. The database ends as it began.
Prints every difference; exits 0 when there is none, 1 when there is any, 2 when a server is unreachable.
"""

import http.client
import json
import re
import sys
import urllib.parse
import uuid

UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIMESTAMP_PATTERN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
GENERATED = {"id", "session_id", "project_id", "created_at", "updated_at", "started_at", "last_activity_at",
             "completed_at", "timestamp"}
MISSING = uuid.UUID(int=0x123E4567E89B12D3A456426614174000)


class Reply:
    """One HTTP response: status, headers (lowercase names), body and its JSON (None when there is none)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        """Keeps the response and parses its body."""
        self.status, self.headers, self.body = status, headers, body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip()


class Server:
    """A server under comparison, reached over one keep-alive connection."""

    def __init__(self, base: str):
        """Parses the base URL (scheme http, host and port)."""
        url = urllib.parse.urlsplit(base)
        if url.scheme != "http" or not url.hostname:
            raise SystemExit(f"not an http:// base URL: {base}")
        self.base, self.host, self.port = base.rstrip("/"), url.hostname, url.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=10)

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json") -> Reply:
        """Sends one request, reconnecting once if the server closed the connection."""
        headers = {"Content-Type": content_type} if body is not None else {}
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
                if attempt == 2:
                    raise


def kind(value) -> str:
    """What a generated value looks like: a UUID, a timestamp, null, or its JSON type."""
    if isinstance(value, str) and UUID_PATTERN.match(value):
        return "uuid"
    if isinstance(value, str) and TIMESTAMP_PATTERN.match(value):
        return "timestamp"
    return "null" if value is None else type(value).__name__


def differences(ours, peer, ignore: set[str] = frozenset(), where: str = "$") -> list[str]:
    """Where two JSON values differ; keys in `ignore` must only have the same kind of value."""
    if isinstance(ours, dict) and isinstance(peer, dict):
        found = [f"{where}: key {key!r} only in ours" for key in ours.keys() - peer.keys()]
        found += [f"{where}: key {key!r} only in the peer" for key in peer.keys() - ours.keys()]
        for key in sorted(ours.keys() & peer.keys()):
            if key in ignore:
                if kind(ours[key]) != kind(peer[key]):
                    found.append(f"{where}.{key}: ours is a {kind(ours[key])}, the peer's a {kind(peer[key])}")
            else:
                found += differences(ours[key], peer[key], ignore, f"{where}.{key}")
        return found
    if isinstance(ours, list) and isinstance(peer, list):
        found = [f"{where}: {len(ours)} items in ours, {len(peer)} in the peer"] if len(ours) != len(peer) else []
        for index, (mine, theirs) in enumerate(zip(ours, peer)):
            found += differences(mine, theirs, ignore, f"{where}[{index}]")
        return found
    same = ours == peer and type(ours) is type(peer)
    return [] if same else [f"{where}: ours {json.dumps(ours)[:120]}, the peer {json.dumps(peer)[:120]}"]


def generated_pairs(ours, peer, ignore: set[str]) -> dict[str, str]:
    """The peer's generated strings (under keys in `ignore`) mapped to ours at the same place."""
    pairs = {}
    if isinstance(ours, dict) and isinstance(peer, dict):
        for key in ours.keys() & peer.keys():
            if key in ignore and isinstance(ours[key], str) and isinstance(peer[key], str):
                pairs[peer[key]] = ours[key]
            else:
                pairs.update(generated_pairs(ours[key], peer[key], ignore))
    elif isinstance(ours, list) and isinstance(peer, list):
        for mine, theirs in zip(ours, peer):
            pairs.update(generated_pairs(mine, theirs, ignore))
    return pairs


def first_byte_difference(ours: bytes, peer: bytes) -> str:
    """The first offset where two bodies differ, with a little context from each."""
    offset = next((i for i, (a, b) in enumerate(zip(ours, peer)) if a != b), min(len(ours), len(peer)))
    return f"at byte {offset}: ours ...{ours[offset:offset + 40]!r}, the peer ...{peer[offset:offset + 40]!r}"


def error_summary(reply: Reply):
    """The parts of an error response both servers must agree on: code and invalid field names."""
    error = (reply.json or {}).get("error") if isinstance(reply.json, dict) else None
    if not isinstance(error, dict):
        return {"body": reply.body[:120].decode(errors="replace")}
    return {"code": error.get("code"), "fields": [field.get("field") for field in error.get("fields", [])]}


class Comparison:
    """Sends the same requests to both servers and collects the differences."""

    def __init__(self, ours: Server, peer: Server):
        """Starts with no differences."""
        self.ours, self.peer, self.checks, self.found = ours, peer, 0, []

    def report(self, label: str, problems: list[str]) -> None:
        """Records one check and its differences."""
        self.checks += 1
        for problem in problems:
            self.found.append(f"{label}: {problem}")
            print(f"DIFF {label}: {problem}", flush=True)

    def both(self, method: str, ours_path: str, peer_path: str | None = None, body=None,
             content_type: str = "application/json") -> tuple[Reply, Reply]:
        """The same request to each server (the peer's path may name its own objects)."""
        data = None if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        return (self.ours.request(method, ours_path, data, content_type),
                self.peer.request(method, peer_path or ours_path, data, content_type))

    def same(self, method: str, path: str, body=None, ignore: set[str] = frozenset(),
             peer_path: str | None = None) -> tuple[Reply, Reply]:
        """Status, media type, JSON and bytes must agree (the peer's generated values swapped for ours)."""
        mine, theirs = self.both(method, path, peer_path, body)
        label = f"{method} {path}"
        problems = [] if mine.status == theirs.status else [f"status: ours {mine.status}, the peer {theirs.status}"]
        if mine.body or theirs.body:
            if mine.media_type != theirs.media_type:
                problems.append(f"content type: ours {mine.media_type!r}, the peer {theirs.media_type!r}")
            problems += differences(mine.json, theirs.json, ignore)
            peer_body = theirs.body
            for generated, original in generated_pairs(mine.json, theirs.json, ignore).items():
                peer_body = peer_body.replace(json.dumps(generated).encode(), json.dumps(original).encode())
            if not problems and mine.body != peer_body:
                problems.append("same JSON, different bytes " + first_byte_difference(mine.body, peer_body))
        self.report(label, problems)
        return mine, theirs

    def refused(self, method: str, path: str, body=None, status: int | None = None, fields: list[str] | None = None,
                allow: str | None = None, content_type: str = "application/json") -> None:
        """Both refuse the request with the same status, error code and invalid fields (and `Allow` on a 405);
        `status`, `fields` and `allow` are what ours must answer, when given."""
        mine, theirs = self.both(method, path, None, body, content_type)
        for server, reply in ((self.ours, mine), (self.peer, theirs)):
            if reply.status == 201 and isinstance(reply.json, dict) and "id" in reply.json:
                server.request("DELETE", f"/api/v1/projects/{reply.json['id']}")  # accepted after all: not kept
        shown = "" if body is None else body.decode(errors="replace") if isinstance(body, bytes) else json.dumps(body)
        label = f"{method} {path[:80]} {shown[:60]!r}" if shown else f"{method} {path[:80]}"
        problems = [] if mine.status == theirs.status else [f"status: ours {mine.status}, the peer {theirs.status}"]
        if status is not None and mine.status != status:
            problems.append(f"expected {status} from ours, got {mine.status}")
        if method != "HEAD":
            problems += differences(error_summary(mine), error_summary(theirs))
        elif mine.body or theirs.body:
            problems.append(f"HEAD answered with a body: ours {len(mine.body)} bytes, the peer {len(theirs.body)}")
        if fields is not None and error_summary(mine).get("fields") != fields:
            problems.append(f"expected fields {fields} from ours, got {error_summary(mine).get('fields')}")
        if mine.status == 405 == theirs.status:
            allowed = [{m.strip() for m in reply.headers.get("allow", "").split(",")} for reply in (mine, theirs)]
            if allowed[0] != allowed[1]:
                problems.append(f"Allow: ours {sorted(allowed[0])}, the peer {sorted(allowed[1])}")
            if allow is not None and mine.headers.get("allow") != allow:
                problems.append(f"expected Allow: {allow} from ours, got {mine.headers.get('allow')}")
        elif allow is not None:
            problems.append(f"expected a 405 with Allow: {allow} from both")
        self.report(label, problems)

    def head(self, path: str) -> None:
        """HEAD answers as GET does, without the body: the same status, media type and Content-Length from both,
        and ours the length of its GET body."""
        mine, theirs = self.both("HEAD", path)
        got, _ = self.both("GET", path)
        problems = [] if mine.status == theirs.status else [f"status: ours {mine.status}, the peer {theirs.status}"]
        if mine.status != got.status:
            problems.append(f"ours answers HEAD {mine.status}, GET {got.status}")
        if mine.body or theirs.body:
            problems.append(f"a body: ours {len(mine.body)} bytes, the peer {len(theirs.body)}")
        if mine.media_type != theirs.media_type:
            problems.append(f"content type: ours {mine.media_type!r}, the peer {theirs.media_type!r}")
        lengths = [reply.headers.get("content-length") for reply in (mine, theirs)]
        if lengths[0] != lengths[1]:
            problems.append(f"Content-Length: ours {lengths[0]}, the peer {lengths[1]}")
        if lengths[0] != str(len(got.body)):
            problems.append(f"ours says Content-Length {lengths[0]} for a GET body of {len(got.body)} bytes")
        self.report(f"HEAD {path}", problems)


def reads(check: Comparison) -> None:
    """Health, lists, single items and statistics: the same answers from the same rows."""
    for path in ("/api/v1/health", "/health/live", "/health/ready"):
        check.same("GET", path, ignore={"timestamp"})
    for query in ("", "?limit=20", "?skip=40&limit=20", "?skip=290&limit=20", "?skip=5000", "?limit=1",
                  "?limit=100&skip=100", "?limit=100&skip=200",
                  "?domain=cloud-native", "?domain=enterprise&limit=7&skip=3", "?status_filter=failed",
                  "?domain=data-platform&status_filter=pending&limit=5", "?search=project", "?search=PROJECT%201",
                  "?search=50%25%20off_", "?search=%25", "?search=_", "?search=%5C", "?search=R%C3%A9sum%C3%A9",
                  "?search=line%20two&domain=enterprise", "?search=zzz-no-match", "?limit=20&unknown=1",
                  "?limit=5&limit=20", "?search=telemetry%20platform", "?search=telemetry+platform",
                  "?search=a%2Bb", "?s%65arch=zzz-no-match&limit=2", "?sea%00rch=x&limit=2", "?limit=%2B5",
                  "?limit=05&skip=-0", "?skip=2147483647", "?limit=3&search=%zz", "?limit=3&=x"):
        check.same("GET", "/api/v1/projects" + query)
    for path in ("/api/v1/projects/?limit=3", "//api/v1/projects?limit=2", "/api/v1//projects/?limit=2",
                 "/api/v1/projects/stats/overview/", "/health/live/"):
        check.same("GET", path, ignore={"timestamp"})
    for path in ("/api/v1/health", "/health/live", "/health/ready", "/api/v1/projects?limit=7", "/api/v1/projects",
                 "/api/v1/projects/stats/overview", f"/api/v1/projects/{MISSING}", "/api/v1/workflows?limit=3",
                 f"/api/v1/workflows/{MISSING}", f"/api/v1/workflows/{MISSING}/status"):
        check.head(path)
    check.same("GET", "/api/v1/projects/stats/overview")
    first, _ = check.both("GET", "/api/v1/projects?limit=5")
    for item in (first.json or {}).get("projects", []):
        check.same("GET", f"/api/v1/projects/{item['id']}")
        check.same("GET", f"/api/v1/projects/{item['id'].upper()}")
    sessions, _ = check.both("GET", "/api/v1/workflows?limit=100")
    workflows = (sessions.json or {}).get("workflows", [])
    project = workflows[0]["project_id"] if workflows else str(MISSING)
    for query in ("", "?limit=5", "?skip=10&limit=5", "?skip=1000", "?is_active=true", "?is_active=false",
                  "?is_active=1&limit=3", "?is_active=FALSE&limit=3", "?is_active=0&limit=3", "?is_active=True&limit=2",
                  "?stage=completed", "?stage=starting&is_active=true",
                  f"?project_id={project.upper()}",
                  f"?project_id={project}",
                  f"?project_id={project}&is_active=false", "?limit=100&skip=50"):
        check.same("GET", "/api/v1/workflows" + query)
    check.same("GET", "/api/v1/workflows/?limit=2")
    for session in workflows[:4]:
        check.same("GET", f"/api/v1/workflows/{session['session_id']}")
        check.same("GET", f"/api/v1/workflows/{session['session_id']}/status")
    for session in workflows[:1]:
        check.head(f"/api/v1/workflows/{session['session_id']}")
        check.head(f"/api/v1/projects/{session['project_id']}")


def refusals(check: Comparison) -> None:
    """Bad input: the same status, error code and field names."""
    for query in ("limit=0", "limit=101", "limit=abc", "limit=", "skip=-1", "skip=2147483648", "domain=bogus",
                  "status_filter=bogus", "search=", "search=" + "a" * 201, "limit=0&skip=-1&domain=x&search="):
        check.refused("GET", "/api/v1/projects?" + query, status=422)
    for query in ("project_id=nope", "is_active=maybe", "stage=nope", "limit=0", "skip=-3&stage=x"):
        check.refused("GET", "/api/v1/workflows?" + query, status=422)
    check.refused("GET", "/api/v1/projects/not-a-uuid", status=422)
    check.refused("GET", f"/api/v1/projects/{MISSING}", status=404)
    check.refused("PUT", f"/api/v1/projects/{MISSING}", {"status": "completed"}, status=404)
    check.refused("PUT", f"/api/v1/projects/{MISSING}", {"status": "bogus", "name": ""}, status=422)
    check.refused("DELETE", f"/api/v1/projects/{MISSING}", status=404)
    check.refused("GET", "/api/v1/workflows/not-a-uuid", status=422)
    check.refused("GET", f"/api/v1/workflows/{MISSING}", status=404)
    check.refused("GET", f"/api/v1/workflows/{MISSING}/status", status=404)
    for body in (b"{bad", b"", b"[1]", b"17", {}, {"name": "", "domain": "enterprise"},
                 {"name": "x" * 201, "domain": "enterprise"},
                 {"name": "ok", "domain": "enterprise", "description": "d" * 1001}, {"name": "ok", "domain": "bogus"},
                 {"name": 5, "domain": "enterprise"}, {"name": None, "domain": None}):
        check.refused("POST", "/api/v1/projects", body)
    check.refused("POST", "/api/v1/projects", {"name": "x" * 70000, "domain": "enterprise"}, status=413)
    for body in ({}, {"project_id": "nope"}, {"project_id": str(MISSING), "initial_stage": "completed"},
                 {"project_id": str(MISSING), "initial_stage": "bogus"},
                 {"project_id": str(MISSING), "configuration": 5},
                 {"project_id": str(MISSING), "context": []}, {"project_id": str(MISSING)}):
        check.refused("POST", "/api/v1/workflows/start", body)
    check.refused("GET", "/api/v1/nothing-here", status=404)
    check.refused("DELETE", "/api/v1/health", status=405)
    check.refused("PATCH", "/api/v1/projects", status=405)
    nulls(check)
    nul_characters(check)
    not_json(check)
    strict_forms(check)
    methods(check)


def nulls(check: Comparison) -> None:
    """`null` is refused, the field named, for every body field but `description`."""
    project = {"name": "A name", "description": "d", "domain": "enterprise"}
    for field in ("name", "domain"):
        check.refused("POST", "/api/v1/projects", {**project, field: None}, status=422, fields=[field])
    check.refused("POST", "/api/v1/projects", {"name": None, "description": None, "domain": None}, status=422,
                  fields=["name", "domain"])
    for field in ("name", "domain", "status"):
        check.refused("PUT", f"/api/v1/projects/{MISSING}", {field: None}, status=422, fields=[field])
    check.refused("PUT", f"/api/v1/projects/{MISSING}", {"name": None, "description": None, "status": None},
                  status=422, fields=["name", "status"])
    check.refused("PUT", f"/api/v1/projects/{MISSING}", {"description": None}, status=404)
    check.refused("PUT", f"/api/v1/projects/{MISSING}", {"description": 5}, status=422, fields=["description"])
    start = {"project_id": str(MISSING)}
    for field in ("project_id", "initial_stage", "configuration", "context"):
        check.refused("POST", "/api/v1/workflows/start", {**start, field: None}, status=422, fields=[field])
    check.refused("POST", "/api/v1/workflows/start",
                  {"project_id": None, "initial_stage": None, "configuration": None, "context": None}, status=422,
                  fields=["project_id", "initial_stage", "configuration", "context"])
    check.refused("POST", "/api/v1/workflows/start", {**start, "configuration": {"key": None}}, status=404)


def nul_characters(check: Comparison) -> None:
    """U+0000 in any key or string of a body, or in a list's query parameter, is a 422 naming where it is."""
    project = {"name": "A name", "domain": "enterprise"}
    for body, field in (({**project, "name": "a\0b"}, "name"), ({**project, "description": "\0"}, "description"),
                        ({**project, "domain": "enterprise\0"}, "domain"), ({**project, "k\0": 1}, "k\0"),
                        ({**project, "name": "", "extra": ["x", {"y": "\0"}]}, "extra[1].y")):
        check.refused("POST", "/api/v1/projects", body, status=422, fields=[field])
    check.refused("PUT", f"/api/v1/projects/{MISSING}", {"name": "\0", "status": "bogus"}, status=422, fields=["name"])
    check.refused("PUT", "/api/v1/projects/not-a-uuid", {"name": "\0"}, status=422, fields=["project_id"])
    start = {"project_id": str(MISSING)}
    for body, field in (({**start, "context": {"notes": ["a", "b\0"]}}, "context.notes[1]"),
                        ({**start, "configuration": {"k\0": 1}}, "configuration.k\0"),
                        ({**start, "configuration": {"b": "\0", "a": [{"\0": 1}]}}, "configuration.a[0].\0"),
                        ({"project_id": "nope\0", "initial_stage": "bogus"}, "project_id")):
        check.refused("POST", "/api/v1/workflows/start", body, status=422, fields=[field])
    for query, fields in (("search=a%00b", ["search"]), ("search=%00", ["search"]), ("limit=%00", ["limit"]),
                          ("unknown=x%00", ["unknown"]), ("limit=0&search=a%00", ["search", "limit"]),
                          ("domain=%00bogus&skip=-1&search=" + "%00" * 201, ["domain", "search", "skip"])):
        check.refused("GET", "/api/v1/projects?" + query, status=422, fields=fields)
    for query, fields in (("stage=x%00", ["stage"]), ("project_id=%00&is_active=maybe", ["project_id", "is_active"])):
        check.refused("GET", "/api/v1/workflows?" + query, status=422, fields=fields)
    check.refused("GET", f"/api/v1/workflows/{MISSING}?x=%00", status=404)


def not_json(check: Comparison) -> None:
    """Bodies the reference server's decoder does not read are a 400: NaN and Infinity, numbers beyond a double,
    unpaired surrogates, bytes that are not UTF-8, trailing text, and nesting deeper than 512."""
    for body in (b'{"name": "x", "domain": "enterprise", "n": NaN}', b'{"n": Infinity}', b'{"n": 1e400}',
                 b'{"name": "\\ud800", "domain": "enterprise"}', b'{"name": "x"} trailing', b"\xff"):
        check.refused("POST", "/api/v1/projects", body, status=400, fields=["body"])
    for depth, status, fields in ((512, 422, ["domain"]), (513, 400, ["body"])):
        nested = "[" * (depth - 1) + "]" * (depth - 1)
        body = f'{{"name": "x", "domain": "bogus", "z": "[[[", "nested": {nested}}}'.encode()
        check.refused("POST", "/api/v1/projects", body, status=status, fields=fields)


def strict_forms(check: Comparison) -> None:
    """Query integers are digits with an optional sign, in range; booleans and UUIDs have one form each. A body is
    read as JSON whatever its Content-Type, a repeated key keeps its first value, and PUT has POST's size limit."""
    for query in ("limit=5.0", "limit=1e1", "limit=%205", "limit=1_0", "limit=0x10", "skip=2147483648",
                  "skip=99999999999999999999", "skip=-0.0", "limit=%EF%BC%95"):
        check.refused("GET", "/api/v1/projects?" + query, status=422, fields=[query.split("=")[0]])
    for query in ("is_active=yes", "is_active=on", "is_active=t", "project_id=" + MISSING.hex,
                  f"project_id=%7B{MISSING}%7D", f"project_id=urn:uuid:{MISSING}"):
        check.refused("GET", "/api/v1/workflows?" + query, status=422, fields=[query.split("=")[0]])
    check.refused("GET", f"/api/v1/projects/{MISSING.hex}", status=422, fields=["project_id"])
    check.refused("DELETE", f"/api/v1/projects/%7B{MISSING}%7D", status=422, fields=["project_id"])
    check.refused("PUT", f"/api/v1/projects/{MISSING}", {"name": "x" * 70000}, status=413, fields=["body"])
    check.refused("PUT", f"/api/v1/projects/{MISSING}", b"", status=400, fields=["body"])
    check.refused("POST", "/api/v1/projects", b'{"name": "", "domain": "enterprise"}', status=422, fields=["name"],
                  content_type="text/plain")
    check.refused("POST", "/api/v1/workflows/start", f'{{"project_id": "{MISSING}", "project_id": "x"}}'.encode(),
                  status=404)


def methods(check: Comparison) -> None:
    """Any other method on a served path is a 405 whose `Allow` comes from the most specific route; HEAD is
    answered wherever GET is."""
    session = f"/api/v1/workflows/{MISSING}"
    for method, path, allow in (
            ("TRACE", "/api/v1/health", "GET, HEAD"), ("OPTIONS", "/api/v1/health", "GET, HEAD"),
            ("OPTIONS", "/health/live", "GET, HEAD"), ("POST", "/health/ready", "GET, HEAD"),
            ("TRACE", "/api/v1/projects", "GET, HEAD, POST"), ("OPTIONS", "/api/v1/projects/", "GET, HEAD, POST"),
            ("DELETE", "/api/v1/projects", "GET, HEAD, POST"),
            ("TRACE", f"/api/v1/projects/{MISSING}", "DELETE, GET, HEAD, PUT"),
            ("POST", f"/api/v1/projects/{MISSING}", "DELETE, GET, HEAD, PUT"),
            ("OPTIONS", "/api/v1/projects/not-a-uuid", "DELETE, GET, HEAD, PUT"),
            ("GET", "/api/v1/projects/stats", "DELETE, GET, HEAD, PUT"),
            ("PUT", "/api/v1/projects/stats/overview", "GET, HEAD"),
            ("GET", "/api/v1/workflows/start", "POST"), ("HEAD", "/api/v1/workflows/start", "POST"),
            ("TRACE", "/api/v1/workflows/start", "POST"), ("OPTIONS", "/api/v1/workflows/start/", "POST"),
            ("PUT", "/api/v1/workflows", "GET, HEAD"), ("TRACE", session, "GET, HEAD"),
            ("DELETE", session + "/status", "GET, HEAD"), ("OPTIONS", "/openapi.json", "GET, HEAD")):
        check.refused(method, path, status=405, allow=allow)
    for method, path in (("TRACE", "/api/v1"), ("OPTIONS", "/api/v1/nothing-here"), ("HEAD", "/api/v1/nothing-here"),
                         ("GET", session + "/other"), ("GET", "/docs")):
        check.refused(method, path, status=404)
    # The router takes `start` for a session ID where no written-out route goes on from it.
    check.refused("GET", "/api/v1/workflows/start/status", status=422, fields=["session_id"])


def mutations(check: Comparison) -> None:
    """Create, update, start a workflow, delete: each server on its own objects, compared field by field."""
    draft = {"name": "Peer check: Ünïcode / \"quotes\"", "description": "made by check_same_api",
             "domain": "data-platform"}
    created = check.same("POST", "/api/v1/projects", draft, ignore=GENERATED)
    if not all(reply.status == 201 for reply in created):
        return
    ids = [reply.json["id"] for reply in created]
    ours, peer = (f"/api/v1/projects/{i}" for i in ids)
    try:
        check.same("GET", ours, peer_path=peer, ignore=GENERATED)
        check.same("PUT", ours, {"status": "processing", "name": "Renamed"}, GENERATED, peer)
        check.same("PUT", ours, {}, GENERATED, peer)
        cleared, _ = check.same("PUT", ours, {"description": None, "domain": "enterprise"}, GENERATED, peer)
        if (cleared.json or {}).get("description", "") is not None:
            check.report(f"PUT {ours} (a null description)", ["ours did not clear the description"])
        check.same("GET", ours, peer_path=peer, ignore=GENERATED)
        check.same("PUT", ours, {"description": ""}, GENERATED, peer)
        check.same("PUT", ours, {"description": "set again", "status": "failed"}, GENERATED, peer)
        kept, _ = check.same("PUT", ours, {"name": "Renamed again"}, GENERATED, peer)
        if (kept.json or {}).get("description") != "set again":
            check.report(f"PUT {ours} (no description)", ["ours did not keep the description"])
        start = {"configuration": {"zeta": 1.0, "alpha": [1, 2.5, {"b": None, "a": True}], "Big": 1e20},
                 "context": {"user": "check"}, "initial_stage": "architecture_design"}
        started = [server.request("POST", "/api/v1/workflows/start", json.dumps({**start, "project_id": i}).encode())
                   for server, i in zip((check.ours, check.peer), ids)]
        statuses = [reply.status for reply in started]
        check.report("POST /api/v1/workflows/start", ([] if statuses == [201, 201] else [f"statuses {statuses}"])
                     + differences(started[0].json, started[1].json, GENERATED))
        again = [server.request("POST", "/api/v1/workflows/start", json.dumps({"project_id": i}).encode())
                 for server, i in zip((check.ours, check.peer), ids)]
        check.report("POST /api/v1/workflows/start (active already)",
                     differences(*[[reply.status, error_summary(reply)] for reply in again]))
        if statuses == [201, 201]:
            ours_session, peer_session = (f"/api/v1/workflows/{reply.json['session_id']}" for reply in started)
            check.same("GET", ours_session, peer_path=peer_session, ignore=GENERATED)
            check.same("GET", ours_session + "/status", peer_path=peer_session + "/status", ignore=GENERATED)
            check.same("GET", f"/api/v1/workflows?project_id={ids[0]}",
                       peer_path=f"/api/v1/workflows?project_id={ids[1]}", ignore=GENERATED)
    finally:
        check.same("DELETE", ours, peer_path=peer)
    check.same("GET", ours, peer_path=peer, ignore={"message"})
    check.same("DELETE", ours, peer_path=peer, ignore={"message"})


def main() -> int:
    """Compares the two servers named on the command line."""
    if len(sys.argv) != 3 or sys.argv[1].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    check = Comparison(Server(sys.argv[1]), Server(sys.argv[2]))
    try:
        reads(check)
        refusals(check)
        mutations(check)
        reads(check)
    except OSError as error:
        print(f"cannot reach a server: {error}", file=sys.stderr)
        return 2
    print(f"{check.checks} checks, {len(check.found)} differences between {sys.argv[1]} and {sys.argv[2]}")
    return 1 if check.found else 0


if __name__ == "__main__":
    sys.exit(main())
