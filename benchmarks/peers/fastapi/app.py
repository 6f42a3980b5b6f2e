"""The ArchMesh API on FastAPI, asyncpg and uvicorn (the original stack), as a peer of `archmesh serve`.

Same routes, same SQL text and the same JSON as the reference server: keys in sorted order, UUIDs in
lowercase, timestamps as `2025-01-01T00:00:00.000000Z`, errors as `{"error": {code, fields, message}}`.
Run `python app.py --help`; DATABASE_URL must point at a database that already has the schema.
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

VERSION = "0.1.0"
ENVIRONMENT = "development"
POOL_SIZE = int(os.environ.get("ARCHMESH_POOL_SIZE", "20"))
POOL_TIMEOUT_SECONDS = 2.0
MAX_BODY_BYTES = 64 * 1024
INT32_MAX = 2**31 - 1
UUID_MESSAGE = "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000"

# The statements of Sources/ArchMeshServer/Database/*Repository.swift, character for character.
PROJECT_COLUMNS = "id, name, description, domain::text, status::text, created_at, updated_at"
PROJECT_FILTER = (
    "WHERE ($1::project_domain IS NULL OR domain = $2::project_domain) "
    "AND ($3::project_status IS NULL OR status = $4::project_status) "
    "AND ($5::text IS NULL OR name ILIKE $6 OR description ILIKE $7)"
)
PROJECTS_INSERT = (
    "INSERT INTO projects (id, name, description, domain) VALUES ($1, $2, $3, $4::project_domain) "
    f"RETURNING {PROJECT_COLUMNS}"
)
PROJECTS_COUNT = f"SELECT count(*) FROM projects {PROJECT_FILTER}"
PROJECTS_PAGE = (
    f"SELECT {PROJECT_COLUMNS} FROM projects {PROJECT_FILTER} ORDER BY created_at DESC, id DESC LIMIT $8 OFFSET $9"
)
PROJECTS_GET = f"SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1"
PROJECTS_UPDATE = (
    "UPDATE projects SET name = coalesce($1, name), description = coalesce($2, description), "
    "domain = coalesce($3::project_domain, domain), status = coalesce($4::project_status, status), "
    f"updated_at = now() WHERE id = $5 RETURNING {PROJECT_COLUMNS}"
)
PROJECTS_DELETE = "DELETE FROM projects WHERE id = $1 RETURNING id"
PROJECTS_STATISTICS = (
    "SELECT domain::text, status::text, count(*) FROM projects GROUP BY GROUPING SETS ((domain), (status))"
)
WORKFLOWS_COUNT_ACTIVE = "SELECT count(*) FROM workflow_sessions WHERE is_active"
WORKFLOW_COLUMNS = (
    "id, project_id, current_stage::text, state_data::text, is_active, started_at, last_activity_at, completed_at"
)
WORKFLOW_FILTER = (
    "WHERE ($1::uuid IS NULL OR project_id = $2) AND ($3::boolean IS NULL OR is_active = $4) "
    "AND ($5::workflow_stage IS NULL OR current_stage = $6::workflow_stage)"
)
WORKFLOWS_INSERT = (
    "INSERT INTO workflow_sessions (id, project_id, current_stage, state_data) "
    f"VALUES ($1, $2, $3::workflow_stage, $4::jsonb) RETURNING {WORKFLOW_COLUMNS}"
)
WORKFLOWS_COUNT = f"SELECT count(*) FROM workflow_sessions {WORKFLOW_FILTER}"
WORKFLOWS_PAGE = (
    f"SELECT {WORKFLOW_COLUMNS} FROM workflow_sessions {WORKFLOW_FILTER} "
    "ORDER BY started_at DESC, id DESC LIMIT $7 OFFSET $8"
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


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    domain: ProjectDomain


class ProjectUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    domain: ProjectDomain | None = None
    status: ProjectStatus | None = None


class WorkflowStart(BaseModel):
    project_id: UUID
    initial_stage: WorkflowStage | None = None
    configuration: dict[str, Any] | None = None
    context: dict[str, Any] | None = None

    @field_validator("initial_stage")
    @classmethod
    def startable(cls, stage: WorkflowStage | None) -> WorkflowStage | None:
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


def timestamp(moment: datetime) -> str:
    """UTC with microseconds, `2025-01-01T00:00:00.000000Z` (asyncpg gives timestamptz in UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: Any) -> Any:
    """A JSON value as the reference server re-encodes it: keys sorted, whole numbers below 1e15 without a fraction."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
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


def project(row: asyncpg.Record) -> Project:
    """A project row, as the API returns it."""
    return Project(
        created_at=timestamp(row[5]), description=row[2], domain=row[3], id=row[0], name=row[1], status=row[4],
        updated_at=timestamp(row[6]))


def workflow(row: asyncpg.Record) -> WorkflowStatus:
    """A workflow session row, as the API returns it."""
    return WorkflowStatus(
        completed_at=None if row[7] is None else timestamp(row[7]), current_stage=row[2], is_active=row[4],
        last_activity_at=timestamp(row[6]), project_id=row[1], session_id=row[0], started_at=timestamp(row[5]),
        state_data=canonical(json.loads(row[3])))


pool: asyncpg.Pool


def connection():
    """A pooled connection; waiting longer than the reference server does (2 s) raises TimeoutError, answered 503."""
    return pool.acquire(timeout=POOL_TIMEOUT_SECONDS)


@asynccontextmanager
async def lifespan(_: FastAPI):
    """Opens the pool (connections made on demand, up to ARCHMESH_POOL_SIZE, idle ones closed after 2 s)."""
    global pool
    pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"], min_size=0, max_size=POOL_SIZE, max_inactive_connection_lifetime=2.0)
    yield
    await pool.close()


app = FastAPI(title="ArchMesh", version=VERSION, lifespan=lifespan)


async def limit_body(request: Request) -> None:
    """413 for a body larger than the reference server accepts (64 KiB)."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"request body is larger than {MAX_BODY_BYTES} bytes",
                       [("body", f"must be at most {MAX_BODY_BYTES} bytes")])


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
    """Unknown routes (404) and wrong methods (405, allowing every method any route serves on the path)."""
    if error.status_code == 405:
        path = request.url.path
        routes = [route for route in app.routes if isinstance(route, APIRoute) and route.path_regex.match(path)]
        allow = ", ".join(sorted({method for route in routes for method in route.methods}))
        message = f"{request.method} is not allowed on {routes[0].path}; allowed: {allow}"
        return ApiError(405, "method_not_allowed", message, headers={"Allow": allow}).response()
    fallback = "client_error" if error.status_code < 500 else "server_error"
    code = STATUS_CODES.get(error.status_code, fallback)
    return ApiError(error.status_code, code, str(error.detail), headers=error.headers).response()


@app.exception_handler(RequestValidationError)
async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
    """Pydantic's findings as the reference server words them: 400 for a body absent or not JSON, else 422."""
    problems = error.errors()
    for problem in problems:
        if problem["type"] == "json_invalid":
            return malformed_json(str(problem.get("ctx", {}).get("error", "unreadable"))).response()
        if tuple(problem["loc"]) == ("body",) and problem["type"] == "missing":
            return malformed_json("the body is empty").response()
    fields: dict[str, str] = {}
    for problem in problems:
        location = problem["loc"]
        field = str(location[1] if len(location) > 1 else location[0])
        message = UUID_MESSAGE if problem["type"].startswith("uuid") else problem["msg"]
        fields.setdefault(field, message)
    return ApiError(422, "validation_failed", "invalid fields: " + ", ".join(fields), list(fields.items())).response()


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


@app.get("/api/v1/health")
async def health(response: Response) -> Health:
    """The database check; 503 when it fails."""
    check = await check_database()
    healthy = check.status == "healthy"
    response.status_code = 200 if healthy else 503
    return Health(checks={"database": check}, environment=ENVIRONMENT, status="healthy" if healthy else "unhealthy",
                  timestamp=timestamp(datetime.now(timezone.utc)), version=VERSION)


@app.get("/health/live")
async def live() -> Liveness:
    """Alive while the process answers."""
    return Liveness(status="alive", timestamp=timestamp(datetime.now(timezone.utc)), version=VERSION)


@app.get("/health/ready")
async def ready(response: Response) -> Health:
    """Ready when the database answers; 503 otherwise."""
    check = await check_database()
    healthy = check.status == "healthy"
    response.status_code = 200 if healthy else 503
    return Health(checks={"database": check}, environment=ENVIRONMENT, status="ready" if healthy else "not_ready",
                  timestamp=timestamp(datetime.now(timezone.utc)), version=VERSION)


@app.post("/api/v1/projects", status_code=201, dependencies=[Depends(limit_body)])
@app.post("/api/v1/projects/", status_code=201, dependencies=[Depends(limit_body)], include_in_schema=False)
async def create_project(draft: ProjectCreate) -> Project:
    """A new project, status `pending`."""
    async with connection() as db:
        row = await db.fetchrow(PROJECTS_INSERT, uuid4(), draft.name, draft.description, draft.domain)
    return project(row)


@app.get("/api/v1/projects")
@app.get("/api/v1/projects/", include_in_schema=False)
async def list_projects(
    skip: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    domain: ProjectDomain | None = None,
    status_filter: ProjectStatus | None = None,
    search: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> ProjectPage:
    """One page of projects, newest first."""
    pattern = None if search is None else f"%{escape_like(search)}%"
    filters = (domain, domain, status_filter, status_filter, pattern, pattern, pattern)
    async with connection() as db:
        total = await db.fetchval(PROJECTS_COUNT, *filters)
        rows = await db.fetch(PROJECTS_PAGE, *filters, limit, skip)
    return ProjectPage(has_next=skip + limit < total, page=skip // limit + 1, page_size=limit,
                       projects=[project(row) for row in rows], total=total)


@app.get("/api/v1/projects/stats/overview")
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


@app.get("/api/v1/projects/{project_id}")
async def get_project(project_id: UUID) -> Project:
    """One project."""
    async with connection() as db:
        row = await db.fetchrow(PROJECTS_GET, project_id)
    if row is None:
        raise not_found(f"project {project_id}")
    return project(row)


@app.put("/api/v1/projects/{project_id}", dependencies=[Depends(limit_body)])
async def update_project(project_id: UUID, changes: ProjectUpdate) -> Project:
    """Changes the fields given; the others stay."""
    async with connection() as db:
        row = await db.fetchrow(
            PROJECTS_UPDATE, changes.name, changes.description, changes.domain, changes.status, project_id)
    if row is None:
        raise not_found(f"project {project_id}")
    return project(row)


@app.delete("/api/v1/projects/{project_id}", status_code=204)
async def delete_project(project_id: UUID) -> Response:
    """Deletes a project and its workflow sessions."""
    async with connection() as db:
        deleted = await db.fetchval(PROJECTS_DELETE, project_id)
    if deleted is None:
        raise not_found(f"project {project_id}")
    return Response(status_code=204)


@app.post("/api/v1/workflows/start", status_code=201, dependencies=[Depends(limit_body)])
async def start_workflow(start: WorkflowStart) -> WorkflowStatus:
    """Starts a session with one INSERT: the foreign key and the one-active-per-project index decide."""
    stage = start.initial_stage or WorkflowStage.DOCUMENT_ANALYSIS
    metadata = {"configuration": start.configuration or {}, "context": start.context or {}}
    state = {"current_stage": stage.value, "stage_progress": 0, "completed_stages": [], "stage_results": {},
             "pending_tasks": [], "errors": [], "metadata": metadata}
    try:
        async with connection() as db:
            row = await db.fetchrow(WORKFLOWS_INSERT, uuid4(), start.project_id, stage, json.dumps(state))
    except asyncpg.ForeignKeyViolationError:
        raise not_found(f"project {start.project_id}") from None
    except asyncpg.UniqueViolationError:
        raise ApiError(409, "workflow_already_active", f"project {start.project_id} already has an active workflow",
                       [("project_id", "already has an active workflow")]) from None
    return workflow(row)


@app.get("/api/v1/workflows")
@app.get("/api/v1/workflows/", include_in_schema=False)
async def list_workflows(
    skip: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    project_id: UUID | None = None,
    is_active: bool | None = None,
    stage: WorkflowStage | None = None,
) -> WorkflowPage:
    """One page of workflow sessions, newest first."""
    filters = (project_id, project_id, is_active, is_active, stage, stage)
    async with connection() as db:
        total = await db.fetchval(WORKFLOWS_COUNT, *filters)
        rows = await db.fetch(WORKFLOWS_PAGE, *filters, limit, skip)
    return WorkflowPage(has_next=skip + limit < total, page=skip // limit + 1, page_size=limit, total=total,
                        workflows=[workflow(row) for row in rows])


@app.get("/api/v1/workflows/{session_id}")
@app.get("/api/v1/workflows/{session_id}/status")
async def get_workflow(session_id: UUID) -> WorkflowStatus:
    """One workflow session's status."""
    async with connection() as db:
        row = await db.fetchrow(WORKFLOWS_GET, session_id)
    if row is None:
        raise not_found(f"workflow session {session_id}")
    return workflow(row)


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
