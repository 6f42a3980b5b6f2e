-- Projects, as the original ArchMesh defines them.
DO $$ BEGIN
    CREATE TYPE project_domain AS ENUM ('cloud-native', 'data-platform', 'enterprise');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

DO $$ BEGIN
    CREATE TYPE project_status AS ENUM ('pending', 'processing', 'completed', 'failed');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS projects (
    id          uuid PRIMARY KEY,
    name        varchar(200) NOT NULL,
    description text,
    domain      project_domain NOT NULL,
    status      project_status NOT NULL DEFAULT 'pending',
    owner_id    uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS projects_domain_idx ON projects (domain);
CREATE INDEX IF NOT EXISTS projects_status_idx ON projects (status);
CREATE INDEX IF NOT EXISTS projects_name_idx ON projects (name);
-- The list is ordered newest first; id breaks ties so pages never overlap.
CREATE INDEX IF NOT EXISTS projects_created_at_idx ON projects (created_at DESC, id DESC);
-- `search` is an ILIKE on name or description: one trigram index per column lets the planner OR them.
CREATE INDEX IF NOT EXISTS projects_name_trgm_idx ON projects USING gin (name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS projects_description_trgm_idx ON projects USING gin (description gin_trgm_ops);
