-- +goose Up
-- Jobs: top-level jobs (parent_job_id NULL) and their sub-jobs. Counters are kept per step, per sub-job and per
-- top-level job, all updated in the transaction that records a loader result.
CREATE TABLE jobs (
    id                       uuid PRIMARY KEY,
    root_job_id              uuid NOT NULL,
    parent_job_id            uuid REFERENCES jobs (id),
    retry_of_job_id          uuid REFERENCES jobs (id),
    position                 int NOT NULL DEFAULT 0,
    attempt                  int NOT NULL DEFAULT 1,
    config_id                text NOT NULL,
    config_name              text NOT NULL DEFAULT '',
    config_json              text NOT NULL DEFAULT '',
    type                     text NOT NULL,
    kind                     text NOT NULL DEFAULT '',
    status                   text NOT NULL,
    trigger                  text NOT NULL,
    dry_run                  boolean NOT NULL DEFAULT false,
    critical                 boolean NOT NULL DEFAULT false,
    source_instance_id       text NOT NULL DEFAULT '',
    destination_instance_ids text[] NOT NULL DEFAULT '{}',
    metadata_families        text[] NOT NULL DEFAULT '{}',
    launch_types             text[] NOT NULL DEFAULT '{}',
    launched_by              text NOT NULL DEFAULT '',
    message                  text NOT NULL DEFAULT '',
    planned                  bigint NOT NULL DEFAULT 0,
    processed                bigint NOT NULL DEFAULT 0,
    created                  bigint NOT NULL DEFAULT 0,
    updated                  bigint NOT NULL DEFAULT 0,
    deleted                  bigint NOT NULL DEFAULT 0,
    ignored                  bigint NOT NULL DEFAULT 0,
    errors                   bigint NOT NULL DEFAULT 0,
    warnings                 bigint NOT NULL DEFAULT 0,
    verification             text NOT NULL DEFAULT '',
    cancel_requested         boolean NOT NULL DEFAULT false,
    owner                    text NOT NULL DEFAULT '',
    heartbeat_time           timestamptz NOT NULL DEFAULT now(),
    create_time              timestamptz NOT NULL DEFAULT now(),
    start_time               timestamptz,
    end_time                 timestamptz,
    next_retry_time          timestamptz
);
CREATE INDEX jobs_root ON jobs (root_job_id);
CREATE INDEX jobs_top_create ON jobs (create_time DESC) WHERE parent_job_id IS NULL;
CREATE INDEX jobs_status ON jobs (status) WHERE parent_job_id IS NULL;
-- Never two active jobs of one configuration (docs/architecture.md): enforced here, not only checked.
CREATE UNIQUE INDEX jobs_one_active_per_config ON jobs (config_id)
    WHERE parent_job_id IS NULL AND status IN ('PENDING', 'RUNNING', 'RETRYING');

-- Steps of a sub-job.
CREATE TABLE steps (
    id          uuid PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES jobs (id),
    root_job_id uuid NOT NULL,
    position    int NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL,
    resources   text[] NOT NULL,
    params      jsonb NOT NULL DEFAULT '{}',
    status      text NOT NULL,
    message     text NOT NULL DEFAULT '',
    planned     bigint NOT NULL DEFAULT 0,
    processed   bigint NOT NULL DEFAULT 0,
    created     bigint NOT NULL DEFAULT 0,
    updated     bigint NOT NULL DEFAULT 0,
    deleted     bigint NOT NULL DEFAULT 0,
    ignored     bigint NOT NULL DEFAULT 0,
    errors      bigint NOT NULL DEFAULT 0,
    warnings    bigint NOT NULL DEFAULT 0,
    attempts    int NOT NULL DEFAULT 0,
    activity_time timestamptz,
    start_time  timestamptz,
    end_time    timestamptz
);
CREATE INDEX steps_job ON steps (job_id, position);

-- Per step and destination: the resume point and how the step ended for that destination.
CREATE TABLE step_destinations (
    step_id        uuid NOT NULL REFERENCES steps (id),
    destination_id text NOT NULL,
    acked_through  bigint NOT NULL DEFAULT 0,
    planned_total  bigint NOT NULL DEFAULT 0,
    processed      bigint NOT NULL DEFAULT 0,
    server_date    text NOT NULL DEFAULT '',
    done           boolean NOT NULL DEFAULT false,
    error          text NOT NULL DEFAULT '',
    PRIMARY KEY (step_id, destination_id)
);

-- Results already counted, so that a redelivered result is not counted twice.
CREATE TABLE processed_results (
    step_id        uuid NOT NULL,
    destination_id text NOT NULL,
    result_key     text NOT NULL,
    time           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (step_id, destination_id, result_key)
);

-- Job log: the job's and its sub-jobs' lines (root_job_id is the top-level job).
CREATE TABLE log_lines (
    sequence    bigserial PRIMARY KEY,
    job_id      uuid NOT NULL,
    root_job_id uuid NOT NULL,
    time        timestamptz NOT NULL DEFAULT now(),
    level       int NOT NULL,
    message     text NOT NULL,
    step_id     text NOT NULL DEFAULT '',
    attributes  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX log_lines_root ON log_lines (root_job_id, sequence);
CREATE INDEX log_lines_job ON log_lines (job_id, sequence);

-- Delta watermarks: the source serverDate of the last successful extraction per destination and resource.
CREATE TABLE watermarks (
    config_id      text NOT NULL,
    destination_id text NOT NULL,
    resource       text NOT NULL,
    server_date    text NOT NULL,
    update_time    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (config_id, destination_id, resource)
);

-- +goose Down
DROP TABLE watermarks;
DROP TABLE log_lines;
DROP TABLE processed_results;
DROP TABLE step_destinations;
DROP TABLE steps;
DROP TABLE jobs;
