-- Every recorded run: what ran where, and its whole report (the JSON `archmesh run` writes), from
-- which any past report is rebuilt exactly. The report holds each scenario's thresholds, per-second
-- windows and encoded histograms; `history_scenarios` indexes its summary figures for listing and trends.
CREATE TABLE history_runs (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('run', 'capacity')),
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    -- What was built and measured: a label the user gives (--build), else the git commit of the
    -- working directory, else 'unknown'; and the archmesh version that measured it.
    build text NOT NULL,
    archmesh_version text NOT NULL,
    configuration text NOT NULL,
    configuration_digest text NOT NULL,
    scale double precision NOT NULL,
    target text NOT NULL,
    interrupted boolean NOT NULL,
    passed integer NOT NULL,
    failed integer NOT NULL,
    report_file text,
    report jsonb NOT NULL
);

CREATE INDEX history_runs_started ON history_runs (started_at DESC);

-- One row per scenario of a run: the figures `history` lists and trends (derived from the report).
CREATE TABLE history_scenarios (
    run_id bigint NOT NULL REFERENCES history_runs (id) ON DELETE CASCADE,
    key text NOT NULL,
    passed boolean NOT NULL,
    requests bigint NOT NULL,
    requests_per_second double precision NOT NULL,
    error_rate_percent double precision NOT NULL,
    p50_ms double precision NOT NULL,
    p95_ms double precision NOT NULL,
    p99_ms double precision NOT NULL,
    -- Each objective's name and whether it held: for the share of runs in which it held.
    objectives jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (run_id, key)
);

CREATE INDEX history_scenarios_key ON history_scenarios (key, run_id DESC);
