-- +goose Up
-- What the watcher (automatic mode) and the scheduler know about each configuration.
CREATE TABLE automation (
    config_id            text PRIMARY KEY,
    config_name          text NOT NULL DEFAULT '',
    mode                 text NOT NULL,              -- AUTOMATIC or SCHEDULED
    phase                text NOT NULL DEFAULT 'WATCHING', -- AutomationPhase without its prefix
    since                text NOT NULL DEFAULT '',   -- the source's clock the next check compares with
    job_since            text NOT NULL DEFAULT '',   -- since before the last automatic launch, restored if that job fails
    last_check_time      timestamptz,
    last_check_result    text NOT NULL DEFAULT '',
    next_check_time      timestamptz,
    checks               bigint NOT NULL DEFAULT 0,
    consecutive_failures int NOT NULL DEFAULT 0,
    last_job_id          text NOT NULL DEFAULT '',   -- the last job whose outcome was counted
    launched_job_id      text NOT NULL DEFAULT '',   -- the last job the watcher launched
    cooldown_until       timestamptz,
    disabled_reason      text NOT NULL DEFAULT '',
    last_run_time        timestamptz,                -- scheduled: the last cron slot handled
    missed_runs          text NOT NULL DEFAULT '',
    fast_since           text NOT NULL DEFAULT '',   -- high-frequency checks: their own point of comparison
    fast_job_since       text NOT NULL DEFAULT '',
    fast_check_time      timestamptz,
    update_time          timestamptz NOT NULL DEFAULT now()
);

-- Automatic launches, for max_syncs_per_hour.
CREATE TABLE automatic_launches (
    config_id   text NOT NULL,
    job_id      text NOT NULL,
    launch_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX automatic_launches_config_time ON automatic_launches (config_id, launch_time);

-- Alerts already sent, so that replicas and repeated events send each once.
CREATE TABLE alerts_sent (
    key       text PRIMARY KEY,
    sent_time timestamptz NOT NULL DEFAULT now()
);

-- The last health status seen per instance, to alert on transitions only.
CREATE TABLE instance_health (
    instance_id text PRIMARY KEY,
    status      text NOT NULL,
    update_time timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE instance_health;
DROP TABLE alerts_sent;
DROP TABLE automatic_launches;
DROP TABLE automation;
