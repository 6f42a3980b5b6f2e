"""The ArchMesh API on FastAPI, asyncpg and uvicorn (the original stack), as a peer of `archmesh serve`.

Same routes, same SQL text and the same JSON as the reference server: keys in sorted order, UUIDs in
lowercase, timestamps as `2025-01-01T00:00:00.000000Z`, errors as `{"error": {code, fields, message}}`; the
same checks on input (null only for `description`, no U+0000 anywhere), 405 with `Allow` from the most
specific route, and HEAD wherever GET.
Run `python app.py --help`; DATABASE_URL must point at a database that already has the schema.
"""

import argparse
import http.client
import json
import math
import os
import re
import sys
import threading
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field, ValidationError, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

VERSION = "0.1.0"
ENVIRONMENT = "development"
POOL_SIZE = int(os.environ.get("ARCHMESH_POOL_SIZE", "20"))
POOL_TIMEOUT_SECONDS = 2.0
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 512  # arrays and objects within one another, as deep as the reference server's decoder reads
INT32_MAX = 2**31 - 1
UUID_MESSAGE = "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000"
NUL_MESSAGE = "must not contain the NUL character (U+0000)"
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")

# The statements of Sources/ArchMeshServer/Database/*Repository.swift, character for character. A list's
# page carries the count of all that match in a last column; only a page past the end asks for it apart,
# with the same WHERE clause (ListFilter). Timestamps are formatted by PostgreSQL (Timestamp.sql).


def timestamp_sql(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.US"Z"')"""


PROJECT_COLUMNS = (
    f"id, name, description, domain::text, status::text, {timestamp_sql('created_at')}, {timestamp_sql('updated_at')}"
)
PROJECT_FILTER = (
    "($1::project_domain IS NULL OR domain = $1::project_domain) AND ($2::project_status IS NULL OR status = $2::project_status) "
    "AND ($3::text IS NULL OR name ILIKE $3 OR description ILIKE $3)"
)
PROJECTS_INSERT = (
    "INSERT INTO projects (id, name, description, domain) VALUES ($1, $2, $3, $4::project_domain) "
    f"RETURNING {PROJECT_COLUMNS}"
)
PROJECTS_COUNT = f"SELECT count(*) FROM projects WHERE {PROJECT_FILTER}"
PROJECTS_PAGE = (
    f"SELECT {PROJECT_COLUMNS}, ({PROJECTS_COUNT}) FROM projects WHERE {PROJECT_FILTER} "
    "ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
)
PROJECTS_GET = f"SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1"
PROJECTS_UPDATE = (
    "UPDATE projects SET name = coalesce($1, name), description = CASE WHEN $2 THEN $3 ELSE description END, "
    "domain = coalesce($4::project_domain, domain), status = coalesce($5::project_status, status), "
    f"updated_at = now() WHERE id = $6 RETURNING {PROJECT_COLUMNS}"
)
PROJECTS_DELETE = "DELETE FROM projects WHERE id = $1 RETURNING id"
PROJECTS_STATISTICS = (
    "SELECT domain::text, status::text, count(*) FROM projects GROUP BY GROUPING SETS ((domain), (status))"
)
WORKFLOWS_COUNT_ACTIVE = "SELECT count(*) FROM workflow_sessions WHERE is_active"
WORKFLOW_COLUMNS = (
    f"id, project_id, current_stage::text, state_data::text, is_active, {timestamp_sql('started_at')}, "
    f"{timestamp_sql('last_activity_at')}, {timestamp_sql('completed_at')}"
)
WORKFLOW_FILTER = (
    "($1::uuid IS NULL OR project_id = $1) AND ($2::boolean IS NULL OR is_active = $2) "
    "AND ($3::workflow_stage IS NULL OR current_stage = $3::workflow_stage)"
)
WORKFLOWS_INSERT = (
    "INSERT INTO workflow_sessions (id, project_id, current_stage, state_data) "
    f"VALUES ($1, $2, $3::workflow_stage, $4::jsonb) RETURNING {WORKFLOW_COLUMNS}"
)
WORKFLOWS_COUNT = f"SELECT count(*) FROM workflow_sessions WHERE {WORKFLOW_FILTER}"
WORKFLOWS_PAGE = (
    f"SELECT {WORKFLOW_COLUMNS}, ({WORKFLOWS_COUNT}) FROM workflow_sessions WHERE {WORKFLOW_FILTER} "
    "ORDER BY started_at DESC, id DESC LIMIT $4 OFFSET $5"
)
WORKFLOWS_GET = f"SELECT {WORKFLOW_COLUMNS} FROM workflow_sessions WHERE id = $1"


class ProjectDomain(StrEnum):
    CLOUD_NATIVE = "cloud-native"
    DATA_PLATFORM = "data-platform"
    ENTERPRISE = "enterprise"


class ProjectStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class WorkflowStage(StrEnum):
    STARTING = "starting"
    DOCUMENT_ANALYSIS = "document_analysis"
    REQUIREMENT_EXTRACTION = "requirement_extraction"
    REQUIREMENTS_REVIEW = "requirements_review"
    ARCHITECTURE_DESIGN = "architecture_design"
    ARCHITECTURE_REVIEW = "architecture_review"
    TECHNOLOGY_SELECTION = "technology_selection"
    FINAL_REVIEW = "final_review"
    COMPLETED = "completed"
    FAILED = "failed"


# Response models list their fields alphabetically: FastAPI writes them in declaration order,
# the reference server in sorted order.
class Check(BaseModel):
    details: dict[str, str]
    status: str


class Health(BaseModel):
    checks: dict[str, Check]
    environment: str
    status: str
    timestamp: str
    version: str


class Liveness(BaseModel):
    status: str
    timestamp: str
    version: str


class Project(BaseModel):
    created_at: str
    description: str | None
    domain: str
    id: UUID
    name: str
    status: str
    updated_at: str


class ProjectPage(BaseModel):
    has_next: bool
    page: int
    page_size: int
    projects: list[Project]
    total: int


class ProjectStatistics(BaseModel):
    active_workflows: int
    projects_by_domain: dict[str, int]
    projects_by_status: dict[str, int]
    total_projects: int


class WorkflowStatus(BaseModel):
    completed_at: str | None
    current_stage: str
    is_active: bool
    last_activity_at: str
    project_id: UUID
    session_id: UUID
    started_at: str
    state_data: Any


class WorkflowPage(BaseModel):
    has_next: bool
    page: int
    page_size: int
    total: int
    workflows: list[WorkflowStatus]


# Query and path parameters read as strictly as the reference server reads them (pydantic's lax mode takes
# more: UUIDs in braces or without hyphens, `5.0` for 5, `yes` for true).
def canonical_uuid(value: Any) -> Any:
    """A UUID only in its 36-character form, either case, as the reference server reads one."""
    if isinstance(value, str) and UUID_TEXT.fullmatch(value):
        return value
    raise ValueError(UUID_MESSAGE)


def whole_number(value: Any) -> Any:
    """An integer parameter only as digits with an optional sign (`5.0`, ` 5` and `1_0` are refused)."""
    if isinstance(value, str) and not WHOLE_NUMBER.fullmatch(value):
        raise ValueError(f"must be an integer, got '{value[:50]}'")
    return value


def true_or_false(value: Any) -> Any:
    """A boolean parameter only as `true`, `false`, `1` or `0`, in any case."""
    word = value.lower() if isinstance(value, str) else None
    if word in ("true", "1"):
        return True
    if word in ("false", "0"):
        return False
    raise ValueError(f"must be true or false, got '{str(value)[:50]}'")


UUIDText = Annotated[UUID, BeforeValidator(canonical_uuid)]
WholeNumber = Annotated[int, BeforeValidator(whole_number)]
TrueOrFalse = Annotated[bool, BeforeValidator(true_or_false)]


# Request bodies. Only `description` may be null; every other field is either left out or has a value.
class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    domain: ProjectDomain


class ProjectUpdate(BaseModel):
    """Absent fields stay as they are; a `null` description clears it."""

    name: str = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    domain: ProjectDomain = None
    status: ProjectStatus = None


class WorkflowStart(BaseModel):
    project_id: UUIDText
    initial_stage: WorkflowStage = None
    configuration: dict[str, Any] = None
    context: dict[str, Any] = None

    @field_validator("initial_stage")
    @classmethod
    def startable(cls, stage: WorkflowStage) -> WorkflowStage:
        """Refuses the two final stages, as the reference server does."""
        if stage in (WorkflowStage.COMPLETED, WorkflowStage.FAILED):
            raise ValueError(f"must be a stage a workflow can start in, not '{stage}'")
        return stage


class ApiError(Exception):
    """An error the API answers as `{"error": {"code", "fields", "message"}}`."""

    def __init__(self, status: int, code: str, message: str, fields=(), headers=None):
        """Keeps the status, code, message, invalid fields and extra headers."""
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.headers = status, code, message, list(fields), headers

    def response(self) -> JSONResponse:
        """The JSON response, keys sorted as the reference server writes them."""
        fields = [{"field": field, "message": message} for field, message in self.fields]
        body = {"error": {"code": self.code, "fields": fields, "message": self.message}}
        return JSONResponse(body, self.status, self.headers)


def not_found(what: str) -> ApiError:
    """404 for a resource that does not exist."""
    return ApiError(404, "not_found", f"{what} not found")


def malformed_json(detail: str) -> ApiError:
    """400 for a body that is not JSON at all."""
    return ApiError(400, "malformed_json", f"request body is not valid JSON: {detail}",
                    [("body", "must be a JSON object")])


def invalid(fields: dict[str, str]) -> ApiError:
    """422 naming every field that is not acceptable."""
    return ApiError(422, "validation_failed", "invalid fields: " + ", ".join(fields), list(fields.items()))


def payload_too_large() -> ApiError:
    """413 for a body larger than the reference server accepts (64 KiB)."""
    return ApiError(413, "payload_too_large", f"request body is larger than {MAX_BODY_BYTES} bytes",
                    [("body", f"must be at most {MAX_BODY_BYTES} bytes")])


def problem_message(problem: dict[str, Any], required: bool) -> str:
    """A pydantic finding in the reference server's words where they are known, else in pydantic's."""
    if problem["type"] == "missing":
        return "is required"
    if problem.get("input", "") is None and len(problem["loc"]) <= 2:
        return "is required, and may not be null" if required else "may not be null; leave it out to keep it as it is"
    if problem["type"] == "value_error":
        return str(problem["ctx"]["error"])
    return UUID_MESSAGE if problem["type"].startswith("uuid") else problem["msg"]


def timestamp(moment: datetime) -> str:
    """UTC with microseconds, `2025-01-01T00:00:00.000000Z` (asyncpg gives timestamptz in UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: Any) -> Any:
    """A JSON value as the reference server stores it: whole numbers below 1e15 without a fraction."""
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() and abs(value) < 1e15 else float(value)
    return value


def describe(error: Exception) -> str:
    """The error's message, or its type's name when it has none (as a timeout has)."""
    return str(error) or type(error).__name__


def escape_like(text: str) -> str:
    """LIKE's wildcards and escape character taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def json_type(value: Any) -> str:
    """A JSON value's type, named as the reference server names it in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array"}.get(type(value), "object")


def first_of_each_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose repeated keys keep their first value, as the reference server's decoder does."""
    members: dict[str, Any] = {}
    for key, value in pairs:
        members.setdefault(key, value)
    return members


def finite(text: str) -> float:
    """A JSON number with a fraction or exponent; one too large for a double is not JSON the reference server reads."""
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"number {text[:40]} does not fit a double")
    return number


def not_json(text: str) -> Any:
    """NaN and Infinity, which Python's decoder would take, are not JSON."""
    raise ValueError(f"{text} is not JSON")


JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
JSON_BRACKET = re.compile(rb"[\[\]{}]")


def too_deep(body: bytes) -> bool:
    """Arrays and objects nested more than MAX_JSON_DEPTH deep (only counted when there are that many brackets)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    for bracket in JSON_BRACKET.findall(JSON_STRING.sub(b"", body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > MAX_JSON_DEPTH:
            return True
    return False


def path_to(value: Any, path: str, wanted) -> str | None:
    """The path of the first key or string for which `wanted` holds (`context.notes[1]`), keys in sorted order."""
    if isinstance(value, str):
        return path if wanted(value) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = path_to(item, f"{path}[{index}]", wanted)
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key in sorted(value):
            child = f"{path}.{key}" if path else key
            if wanted(key):
                return child
            found = path_to(value[key], child, wanted)
            if found is not None:
                return found
    return None


def has_nul(text: str) -> bool:
    """Holds U+0000, which PostgreSQL stores in neither text nor jsonb."""
    return "\x00" in text


def lone_surrogate(text: str) -> bool:
    """Holds half of a UTF-16 surrogate pair (`"\\ud800"`), which is not Unicode text."""
    try:
        text.encode()
        return False
    except UnicodeEncodeError:
        return True


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or the error the reference server answers: 413 past 64 KiB, 400 when it is empty
    or not JSON (nested too deep included), 422 when it is JSON but not an object, or holds U+0000 in any key or
    string (named by its path)."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        raise payload_too_large()
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise payload_too_large()
    if not body:
        raise malformed_json("the body is empty")
    if too_deep(body):
        raise malformed_json(f"arrays and objects nested more than {MAX_JSON_DEPTH} deep")
    try:
        value = json.loads(body, object_pairs_hook=first_of_each_key, parse_float=finite, parse_constant=not_json)
    except (ValueError, RecursionError) as error:
        raise malformed_json(str(error)) from None
    if b"\\u" in body and path_to(value, "", lone_surrogate) is not None:
        raise malformed_json("a string holds an unpaired surrogate")
    if not isinstance(value, dict):
        raise invalid({"body": f"must be a JSON object, got {json_type(value)}"})
    if b"\\u0000" in body:
        field = path_to(value, "", has_nul)
        if field is not None:
            raise invalid({field: NUL_MESSAGE})
    return value


def checked(model: type[BaseModel], body: dict[str, Any]) -> Any:
    """The body's fields checked by `model`: 422 naming every field that is not acceptable."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        fields: dict[str, str] = {}
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "body"
            described = model.model_fields.get(field)
            fields.setdefault(field, problem_message(problem, described is not None and described.is_required()))
        raise invalid(fields) from None


def nul_in_query(request: Request) -> list[str]:
    """The query parameters whose value holds U+0000, in the order given; the reference server refuses them by name
    (and takes them as absent), along with whatever else is wrong with the query."""
    if b"%00" not in request.scope["query_string"]:
        return []
    return [key for key, value in request.query_params.multi_items() if "\x00" in value]


def project(row: asyncpg.Record) -> Project:
    """A project row, as the API returns it."""
    return Project(
        created_at=row[5], description=row[2], domain=row[3], id=row[0], name=row[1], status=row[4], updated_at=row[6])


def workflow(row: asyncpg.Record) -> WorkflowStatus:
    """A workflow session row, as the API returns it."""
    return WorkflowStatus(
        completed_at=row[7], current_stage=row[2], is_active=row[4], last_activity_at=row[6], project_id=row[1],
        session_id=row[0], started_at=row[5], state_data=json.loads(row[3]))


pool: asyncpg.Pool


def connection():
    """A pooled connection; waiting longer than the reference server does (2 s) raises TimeoutError, answered 503."""
    return pool.acquire(timeout=POOL_TIMEOUT_SECONDS)


@asynccontextmanager
async def lifespan(_: FastAPI):
    """Opens the pool (connections made on demand, up to ARCHMESH_POOL_SIZE, idle ones closed after 2 s)."""
    global pool
    # asyncpg prepares every statement, as the reference server prepares its frequent ones; both plan
    # each execution for its values (PreparedQuery.swift), so PostgreSQL does the same work for both.
    pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"], min_size=0, max_size=POOL_SIZE, max_inactive_connection_lifetime=2.0,
        server_settings={"plan_cache_mode": "force_custom_plan"})
    yield
    await pool.close()


class ReferencePaths:
    """Reads a request's target as the reference server's router does: empty path segments are ignored
    (`//api/v1/projects/` is `/api/v1/projects`), `+` in the query is a plus sign, and parameter names are taken
    as written, without %-decoding. Only the values' %XX escapes are decoded."""

    def __init__(self, app):
        """Wraps the application."""
        self.app = app

    async def __call__(self, scope, receive, send):
        """Rewrites the path and query string when they need it, then passes the request on."""
        if scope["type"] == "http":
            path, query = scope["path"], scope["query_string"]
            if "//" in path or (path.endswith("/") and path != "/"):
                scope["path"] = "/" + "/".join(segment for segment in path.split("/") if segment)
            if b"+" in query or b"%" in query:
                scope["query_string"] = b"&".join(
                    key.replace(b"%", b"%25").replace(b"+", b"%2B") + equals + value.replace(b"+", b"%2B")
                    for key, equals, value in (pair.partition(b"=") for pair in query.split(b"&")))
        await self.app(scope, receive, send)


app = FastAPI(title="ArchMesh", version=VERSION, lifespan=lifespan, docs_url=None, redoc_url=None,
              redirect_slashes=False)
app.add_middleware(ReferencePaths)


def get(path: str):
    """A GET route that answers HEAD too, as the reference server's do (HEAD left out of /openapi.json)."""
    def register(endpoint):
        app.get(path)(endpoint)
        return app.api_route(path, methods=["HEAD"], include_in_schema=False)(endpoint)
    return register


STATUS_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 409: "conflict",
                413: "payload_too_large", 422: "validation_failed", 503: "unavailable"}
DATABASE_DOWN = (OSError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError,
                 asyncpg.CrashShutdownError, asyncpg.ConnectionDoesNotExistError)


@app.exception_handler(ApiError)
async def api_error(_: Request, error: ApiError) -> JSONResponse:
    """Errors raised by the handlers."""
    return error.response()


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    """The router's answers: 405 with `Allow` for a path the API serves but not with this method, 404 otherwise."""
    if error.status_code in (404, 405):
        allow = allowed(request.scope["path"])
        if allow is not None:
            shown = request.scope.get("raw_path", b"").decode("latin-1") or request.scope["path"]
            message = f"{request.method} is not allowed on {shown}; allowed: {allow}"
            return ApiError(405, "method_not_allowed", message, headers={"Allow": allow}).response()
    fallback = "client_error" if error.status_code < 500 else "server_error"
    code = STATUS_CODES.get(error.status_code, fallback)
    return ApiError(error.status_code, code, str(error.detail), headers=error.headers).response()


@app.exception_handler(RequestValidationError)
async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """Path and query parameters, as the reference server words them: a list's parameters holding U+0000 first,
    then the others in the order the endpoint reads them."""
    fields: dict[str, str] = {}
    if request.scope.get("endpoint") in READS_QUERY:
        fields.update((name, NUL_MESSAGE) for name in nul_in_query(request))
    refused = set(fields)
    for problem in error.errors():
        location = problem["loc"]
        field = str(location[1] if len(location) > 1 else location[0])
        if field not in refused:
            fields.setdefault(field, problem_message(problem, False))
    return invalid(fields).response()


async def database_unavailable(_: Request, error: Exception) -> JSONResponse:
    """503 when the database cannot be reached or no connection comes within the timeout."""
    return ApiError(503, "database_unavailable", f"database unavailable: {describe(error)}",
                    headers={"Retry-After": "1"}).response()


for down in DATABASE_DOWN:
    app.add_exception_handler(down, database_unavailable)


@app.exception_handler(Exception)
async def internal_error(_: Request, error: Exception) -> JSONResponse:
    """500 without details."""
    return ApiError(500, "internal_error", "internal error; see the server log").response()


async def check_database() -> Check:
    """`SELECT 1` through the pool."""
    try:
        async with connection() as db:
            await db.fetchval("SELECT 1")
        return Check(details={"message": "database connection successful"}, status="healthy")
    except Exception as error:  # noqa: BLE001 - any failure makes the check unhealthy
        return Check(details={"message": f"database unavailable: {describe(error)}"}, status="unhealthy")


@get("/api/v1/health")
async def health(response: Response) -> Health:
    """The database check; 503 when it fails."""
    check = await check_database()
    healthy = check.status == "healthy"
    response.status_code = 200 if healthy else 503
    return Health(checks={"database": check}, environment=ENVIRONMENT, status="healthy" if healthy else "unhealthy",
                  timestamp=timestamp(datetime.now(timezone.utc)), version=VERSION)


@get("/health/live")
async def live() -> Liveness:
    """Alive while the process answers."""
    return Liveness(status="alive", timestamp=timestamp(datetime.now(timezone.utc)), version=VERSION)


@get("/health/ready")
async def ready(response: Response) -> Health:
    """Ready when the database answers; 503 otherwise."""
    check = await check_database()
    healthy = check.status == "healthy"
    response.status_code = 200 if healthy else 503
    return Health(checks={"database": check}, environment=ENVIRONMENT, status="ready" if healthy else "not_ready",
                  timestamp=timestamp(datetime.now(timezone.utc)), version=VERSION)


@app.post("/api/v1/projects", status_code=201)
async def create_project(request: Request) -> Project:
    """A new project, status `pending`."""
    draft = checked(ProjectCreate, await json_object(request))
    async with connection() as db:
        row = await db.fetchrow(PROJECTS_INSERT, uuid4(), draft.name, draft.description, draft.domain)
    return project(row)


@get("/api/v1/projects")
async def list_projects(
    request: Request,
    skip: Annotated[WholeNumber, Query(ge=0, le=INT32_MAX)] = 0,
    limit: Annotated[WholeNumber, Query(ge=1, le=100)] = 100,
    domain: ProjectDomain | None = None,
    status_filter: ProjectStatus | None = None,
    search: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> ProjectPage:
    """One page of projects, newest first."""
    if refused := nul_in_query(request):
        raise invalid(dict.fromkeys(refused, NUL_MESSAGE))
    pattern = None if search is None else f"%{escape_like(search)}%"
    async with connection() as db:
        rows = await db.fetch(PROJECTS_PAGE, domain, status_filter, pattern, limit, skip)
        total = rows[0][-1] if rows else await db.fetchval(PROJECTS_COUNT, domain, status_filter, pattern) if skip else 0
    return ProjectPage(has_next=skip + limit < total, page=skip // limit + 1, page_size=limit,
                       projects=[project(row) for row in rows], total=total)


@get("/api/v1/projects/stats/overview")
async def project_statistics() -> ProjectStatistics:
    """Projects by domain and by status, and the active workflows."""
    by_domain = {domain.value: 0 for domain in ProjectDomain}
    by_status = {status.value: 0 for status in ProjectStatus}
    async with connection() as db:
        groups = await db.fetch(PROJECTS_STATISTICS)
        active = await db.fetchval(WORKFLOWS_COUNT_ACTIVE)
    for domain, status, count in groups:
        if domain is not None:
            by_domain[domain] = count
        if status is not None:
            by_status[status] = count
    return ProjectStatistics(active_workflows=active, projects_by_domain=dict(sorted(by_domain.items())),
                             projects_by_status=dict(sorted(by_status.items())), total_projects=sum(by_domain.values()))


@get("/api/v1/projects/{project_id}")
async def get_project(project_id: UUIDText) -> Project:
    """One project."""
    async with connection() as db:
        row = await db.fetchrow(PROJECTS_GET, project_id)
    if row is None:
        raise not_found(f"project {project_id}")
    return project(row)


@app.put("/api/v1/projects/{project_id}")
async def update_project(project_id: UUIDText, request: Request) -> Project:
    """Changes the fields given; the others stay. `"description": null` clears the description."""
    changes = checked(ProjectUpdate, await json_object(request))
    clears_or_sets = "description" in changes.model_fields_set
    async with connection() as db:
        row = await db.fetchrow(PROJECTS_UPDATE, changes.name, clears_or_sets, changes.description, changes.domain,
                                changes.status, project_id)
    if row is None:
        raise not_found(f"project {project_id}")
    return project(row)


@app.delete("/api/v1/projects/{project_id}", status_code=204)
async def delete_project(project_id: UUIDText) -> Response:
    """Deletes a project and its workflow sessions."""
    async with connection() as db:
        deleted = await db.fetchval(PROJECTS_DELETE, project_id)
    if deleted is None:
        raise not_found(f"project {project_id}")
    return Response(status_code=204)


@app.post("/api/v1/workflows/start", status_code=201)
async def start_workflow(request: Request) -> WorkflowStatus:
    """Starts a session with one INSERT: the foreign key and the one-active-per-project index decide."""
    start = checked(WorkflowStart, await json_object(request))
    stage = start.initial_stage or WorkflowStage.DOCUMENT_ANALYSIS
    metadata = {"configuration": start.configuration or {}, "context": start.context or {}}
    state = {"current_stage": stage.value, "stage_progress": 0, "completed_stages": [], "stage_results": {},
             "pending_tasks": [], "errors": [], "metadata": metadata}
    try:
        async with connection() as db:
            row = await db.fetchrow(WORKFLOWS_INSERT, uuid4(), start.project_id, stage, json.dumps(canonical(state)))
    except asyncpg.ForeignKeyViolationError:
        raise not_found(f"project {start.project_id}") from None
    except asyncpg.UniqueViolationError:
        raise ApiError(409, "workflow_already_active", f"project {start.project_id} already has an active workflow",
                       [("project_id", "already has an active workflow")]) from None
    return workflow(row)


@get("/api/v1/workflows")
async def list_workflows(
    request: Request,
    skip: Annotated[WholeNumber, Query(ge=0, le=INT32_MAX)] = 0,
    limit: Annotated[WholeNumber, Query(ge=1, le=100)] = 100,
    project_id: UUIDText | None = None,
    is_active: TrueOrFalse | None = None,
    stage: WorkflowStage | None = None,
) -> WorkflowPage:
    """One page of workflow sessions, newest first."""
    if refused := nul_in_query(request):
        raise invalid(dict.fromkeys(refused, NUL_MESSAGE))
    async with connection() as db:
        rows = await db.fetch(WORKFLOWS_PAGE, project_id, is_active, stage, limit, skip)
        total = rows[0][-1] if rows else await db.fetchval(WORKFLOWS_COUNT, project_id, is_active, stage) if skip else 0
    return WorkflowPage(has_next=skip + limit < total, page=skip // limit + 1, page_size=limit, total=total,
                        workflows=[workflow(row) for row in rows])


@get("/api/v1/workflows/{session_id}")
@get("/api/v1/workflows/{session_id}/status")
async def get_workflow(session_id: UUIDText) -> WorkflowStatus:
    """One workflow session's status."""
    async with connection() as db:
        row = await db.fetchrow(WORKFLOWS_GET, session_id)
    if row is None:
        raise not_found(f"workflow session {session_id}")
    return workflow(row)


READS_QUERY = {list_projects, list_workflows}


def segments(path: str) -> list[str | None]:
    """A route's path as segments, `None` for a `{parameter}`."""
    return [None if part.startswith("{") else part for part in path.strip("/").split("/")]


def more_specific(first: list[str | None], second: list[str | None]) -> bool:
    """True when `first` has a written-out segment where `second` first has a parameter."""
    for mine, theirs in zip(first, second):
        if (mine is None) != (theirs is None):
            return theirs is None
    return False


def rank_written_segments_first(routes: list[Route]) -> None:
    """Makes each route's pattern refuse the paths that the reference server's router (a trie, which prefers a
    written-out segment to a parameter) resolves elsewhere: to a more specific route or prefix of one of the same
    length. `/api/v1/workflows/start` is not a session ID and `/api/v1/projects/stats` not a project, while
    `/api/v1/workflows/start/status` is the status route's (with a session ID that is not a UUID)."""
    shapes = {tuple(shape[:length]) for shape in map(segments, (route.path for route in routes))
              for length in range(1, len(shape) + 1)}
    for route in routes:
        mine = segments(route.path)
        ahead = [shape for shape in shapes if len(shape) == len(mine) and more_specific(list(shape), mine)
                 and all(want is None or want == part for want, part in zip(mine, shape))]
        if ahead:
            alternatives = "|".join(
                sorted("/" + "/".join("[^/]+" if part is None else re.escape(part) for part in shape) for shape in ahead))
            route.path_regex = re.compile(f"^(?!(?:{alternatives})$)" + route.path_regex.pattern.removeprefix("^"))


SERVED = [route for route in app.routes if isinstance(route, Route)]
rank_written_segments_first(SERVED)
PATHS: dict[str, tuple[list[str | None], set[str]]] = {}
for served in SERVED:
    PATHS.setdefault(served.path, (segments(served.path), set()))[1].update(served.methods or ())


def allowed(path: str) -> str | None:
    """The `Allow` value for a path the API serves, from the most specific route that matches it (a written-out
    segment outranks a parameter), HEAD wherever GET; None when no route has that path."""
    parts = path.strip("/").split("/")
    matching = [(shape, methods) for shape, methods in PATHS.values()
                if len(shape) == len(parts) and all(want is None or want == part for want, part in zip(shape, parts))]
    if not matching:
        return None
    best = max(matching, key=lambda candidate: [part is not None for part in candidate[0]])
    methods = set(best[1]) | ({"HEAD"} if "GET" in best[1] else set())
    return ", ".join(sorted(methods))


def announce(host: str, port: int) -> None:
    """Prints `listening on http://HOST:PORT` once the server answers `/health/live`."""
    probe = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    while True:
        try:
            client = http.client.HTTPConnection(probe, port, timeout=1)
            client.request("GET", "/health/live")
            if client.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.05)
    shown = f"[{host}]" if ":" in host else host
    print(f"listening on http://{shown}:{port}", flush=True)


def main() -> None:
    """Serves the app with N uvicorn workers (uvloop, httptools) on one shared socket, until SIGTERM or SIGINT."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    parser = argparse.ArgumentParser(description="The ArchMesh API on FastAPI + asyncpg + uvicorn.")
    parser.add_argument("--host", default=os.environ.get("ARCHMESH_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ARCHMESH_PORT", "8080")),
                        help="0 for any free port (the one chosen is printed)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes, each with its own pool")
    parser.add_argument("--pool-size", type=int, default=POOL_SIZE,
                        help="connections per worker (ARCHMESH_POOL_SIZE, 20)")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("DATABASE_URL is not set: point it at a database with the ArchMesh schema (after `archmesh seed`)")
    if args.workers < 1 or not 1 <= args.pool_size <= 1000:
        sys.exit(f"--workers must be 1 or more and --pool-size 1 to 1000, got {args.workers} and {args.pool_size}")
    os.environ["ARCHMESH_POOL_SIZE"] = str(args.pool_size)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    config = uvicorn.Config("app:app", host=args.host, port=args.port, workers=args.workers, loop="uvloop",
                            http="httptools", access_log=False, log_level="warning")
    sock = config.bind_socket()
    threading.Thread(target=announce, args=(args.host, sock.getsockname()[1]), daemon=True).start()
    if args.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
