-- Workflow sessions, one row per run of the architecture workflow over a project.
DO $$ BEGIN
    CREATE TYPE workflow_stage AS ENUM (
        'starting', 'document_analysis', 'requirement_extraction', 'requirements_review',
        'architecture_design', 'architecture_review', 'technology_selection', 'final_review',
        'completed', 'failed'
    );
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS workflow_sessions (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    current_stage    workflow_stage NOT NULL DEFAULT 'starting',
    state_data       jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_active        boolean NOT NULL DEFAULT true,
    started_at       timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz
);

-- "One active workflow per project" is the database's rule, not a check-then-insert in the server:
-- concurrent starts race on this index and all but one fail with a unique violation.
CREATE UNIQUE INDEX IF NOT EXISTS workflow_sessions_one_active_per_project
    ON workflow_sessions (project_id) WHERE is_active;
CREATE INDEX IF NOT EXISTS workflow_sessions_project_idx ON workflow_sessions (project_id, started_at DESC);
CREATE INDEX IF NOT EXISTS workflow_sessions_started_at_idx ON workflow_sessions (started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS workflow_sessions_stage_idx ON workflow_sessions (current_stage);
CREATE INDEX IF NOT EXISTS workflow_sessions_state_data_idx ON workflow_sessions USING gin (state_data);
