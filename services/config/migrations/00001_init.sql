-- +goose Up
-- Sync configurations. body holds the whole configuration as protojson (lowerCamelCase, defaults applied) without
-- id and timestamps, which live in their own columns; the other columns repeat what lists filter on.
CREATE TABLE configs (
    id                       uuid        PRIMARY KEY,
    name                     text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    source_instance_id       uuid        NOT NULL,
    destination_instance_ids uuid[]      NOT NULL,
    sync_type                text        NOT NULL,
    execution_mode           text        NOT NULL,
    active                   boolean     NOT NULL DEFAULT true,
    body                     jsonb       NOT NULL,
    create_time              timestamptz NOT NULL DEFAULT now(),
    update_time              timestamptz NOT NULL DEFAULT now()
);

-- Names are unique regardless of case: "Nightly" and "nightly" would be confused in every list.
CREATE UNIQUE INDEX configs_name_unique ON configs (lower(name));
CREATE INDEX configs_source_instance ON configs (source_instance_id);
CREATE INDEX configs_destination_instances ON configs USING gin (destination_instance_ids);
-- The scheduler and the auto-sync watcher list active configurations by execution mode.
CREATE INDEX configs_execution_mode ON configs (execution_mode, active);

-- +goose Down
DROP TABLE configs;
