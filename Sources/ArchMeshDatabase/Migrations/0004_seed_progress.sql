-- How far `archmesh seed` got for each seed, so that seeding again adds only what is missing.
CREATE TABLE IF NOT EXISTS seed_progress (
    seed                  bigint PRIMARY KEY,
    projects              integer NOT NULL,
    workflows_per_project double precision NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
