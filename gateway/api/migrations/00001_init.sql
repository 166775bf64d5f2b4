-- +goose Up
-- Platform users; usernames are unique whatever their case.
CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    username      text        NOT NULL,
    password_hash text        NOT NULL,
    role          smallint    NOT NULL CHECK (role BETWEEN 1 AND 3),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- Session and API tokens, stored only as SHA-256 hashes of the token the client holds.
CREATE TABLE tokens (
    hash       bytea       PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (kind IN ('session', 'api')),
    name       text        NOT NULL DEFAULT '',
    role       smallint    NOT NULL CHECK (role BETWEEN 1 AND 3),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX tokens_user_id ON tokens (user_id);
CREATE INDEX tokens_expires_at ON tokens (expires_at);

-- The audit trail: every mutation and every sign-in attempt, append-only.
CREATE TABLE audit_events (
    id          bigserial   PRIMARY KEY,
    time        timestamptz NOT NULL DEFAULT now(),
    username    text        NOT NULL,
    action      text        NOT NULL,
    object_id   text        NOT NULL DEFAULT '',
    outcome     text        NOT NULL,
    remote_addr text        NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE tokens;
DROP TABLE users;
