-- +goose Up
-- The statuses a job and a step may hold (state.go lists the same and the transitions between them): a status
-- written by mistake is refused by the database, not discovered by a reader.
ALTER TABLE jobs ADD CONSTRAINT jobs_status_known CHECK (status IN
    ('PENDING', 'RUNNING', 'COMPLETED', 'COMPLETED_WITH_WARNINGS', 'FAILED', 'CANCELLED', 'RETRYING', 'FAILED_PERMANENTLY'));
ALTER TABLE steps ADD CONSTRAINT steps_status_known CHECK (status IN
    ('PENDING', 'RUNNING', 'COMPLETED', 'COMPLETED_WITH_WARNINGS', 'FAILED', 'CANCELLED'));
-- Only top-level jobs wait for an automatic retry or fail permanently.
ALTER TABLE jobs ADD CONSTRAINT jobs_retry_top_level CHECK (parent_job_id IS NULL OR status NOT IN ('RETRYING', 'FAILED_PERMANENTLY'));

-- +goose Down
ALTER TABLE jobs DROP CONSTRAINT jobs_retry_top_level;
ALTER TABLE steps DROP CONSTRAINT steps_status_known;
ALTER TABLE jobs DROP CONSTRAINT jobs_status_known;
