-- Trigram matching backs the projects list's case-insensitive `search`.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
