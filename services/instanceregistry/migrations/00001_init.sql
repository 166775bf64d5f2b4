-- +goose Up
-- DHIS2 instances dhis2sync reads from and writes to. The secret column holds the password or personal access
-- token sealed with AES-256-GCM (secretbox format: version, key id, nonce, ciphertext); secret_key_id repeats
-- the key id so that rows still sealed under a previous key can be found.
CREATE TABLE instances (
    id                   uuid        PRIMARY KEY,
    name                 text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description          text        NOT NULL DEFAULT '',
    base_url             text        NOT NULL,
    auth_type            text        NOT NULL CHECK (auth_type IN ('basic', 'token')),
    username             text        NOT NULL DEFAULT '',
    secret               bytea       NOT NULL,
    secret_key_id        text        NOT NULL,
    is_source            boolean     NOT NULL DEFAULT false,
    is_destination       boolean     NOT NULL DEFAULT false,
    active               boolean     NOT NULL DEFAULT true,
    insecure_skip_verify boolean     NOT NULL DEFAULT false,
    version              text        NOT NULL DEFAULT '',
    revision             text        NOT NULL DEFAULT '',
    system_name          text        NOT NULL DEFAULT '',
    server_time_zone     text        NOT NULL DEFAULT '',
    connection_status    text        NOT NULL DEFAULT 'unknown',
    connection_message   text        NOT NULL DEFAULT '',
    last_connection_test timestamptz,
    create_time          timestamptz NOT NULL DEFAULT now(),
    update_time          timestamptz NOT NULL DEFAULT now()
);

-- Names are unique regardless of case: "HMIS" and "hmis" would be confused in every list.
CREATE UNIQUE INDEX instances_name_unique ON instances (lower(name));

-- +goose Down
DROP TABLE instances;
