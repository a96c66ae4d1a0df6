-- MOZI on PostgreSQL: the schema the SQLite migrations 0001-0005 reach,
-- in one step. Ids made on devices are UUIDs in text form, compared byte by
-- byte (COLLATE "C") as SQLite does; times are Unix milliseconds.

-- Accounts. Usernames are stored already validated and lower-cased.
-- last_event_id counts each user's live events; the row stays locked by
-- the transaction that takes ids until it commits, so ids count up in
-- commit order.
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT   NOT NULL UNIQUE,
    display_name  TEXT   NOT NULL,
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    last_event_id BIGINT NOT NULL DEFAULT 0
);

-- The demo conference, loaded from data/conference.json on first start.
CREATE TABLE conference_days (
    number BIGINT PRIMARY KEY,
    date   TEXT   NOT NULL,
    label  TEXT   NOT NULL
);

CREATE TABLE speakers (
    id          BIGINT PRIMARY KEY,
    name        TEXT   NOT NULL UNIQUE,
    affiliation TEXT   NOT NULL
);

CREATE TABLE conference_sessions (
    id        BIGINT PRIMARY KEY,
    day       BIGINT NOT NULL REFERENCES conference_days (number),
    starts_at TEXT   NOT NULL, -- "HH:MM", conference local time
    ends_at   TEXT   NOT NULL,
    title     TEXT   NOT NULL,
    room      TEXT   NOT NULL,
    track     TEXT   NOT NULL,
    abstract  TEXT   NOT NULL
);
CREATE INDEX conference_sessions_by_time ON conference_sessions (day, starts_at, room);

CREATE TABLE session_speakers (
    session_id BIGINT NOT NULL REFERENCES conference_sessions (id),
    speaker_id BIGINT NOT NULL REFERENCES speakers (id),
    position   BIGINT NOT NULL,
    PRIMARY KEY (session_id, speaker_id)
);

-- "My schedule".
CREATE TABLE bookmarks (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id BIGINT NOT NULL REFERENCES conference_sessions (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, session_id)
);

-- Messaging.
CREATE TABLE conversations (
    id               TEXT COLLATE "C" PRIMARY KEY,
    created_by       BIGINT NOT NULL REFERENCES users (id),
    created_at       BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL
);
-- The conversation list is paged by last activity.
CREATE INDEX conversations_by_activity ON conversations (last_activity_at, id);

CREATE TABLE conversation_members (
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    -- Server time up to which this member has read; compared with messages.received_at.
    last_read_at    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_by_user ON conversation_members (user_id);

CREATE TABLE messages (
    id              TEXT COLLATE "C" PRIMARY KEY, -- made on the device, so a resend is recognised
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       BIGINT NOT NULL REFERENCES users (id),
    body            TEXT   NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4000),
    created_at      BIGINT NOT NULL, -- when the author pressed Send
    received_at     BIGINT NOT NULL  -- when the server stored it
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at, id);

-- A conversation started on a device under its own id, when the server
-- already had a 1:1 conversation between the same two people: the device's
-- id stays an alias of the existing one.
CREATE TABLE conversation_aliases (
    id              TEXT COLLATE "C" PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE
);

-- The result of every mutation applied under an idempotency key, written in
-- the same transaction as the mutation's effect.
CREATE TABLE idempotency_keys (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        TEXT COLLATE "C" NOT NULL,
    result     TEXT   NOT NULL, -- JSON of the ItemResult first answered
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Live events, one row per recipient, written in the transaction of the
-- change that made them.
CREATE TABLE events (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id         BIGINT NOT NULL,
    event      TEXT   NOT NULL, -- JSON of the LiveEvent
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX events_by_age ON events (created_at);

-- Attempts by key (GCRA): when the key's next attempt is due.
CREATE TABLE rate_limits (
    key    TEXT COLLATE "C" PRIMARY KEY,
    due_at BIGINT NOT NULL
);
CREATE INDEX rate_limits_by_due ON rate_limits (due_at);

-- Mutation batches being applied, one lease each; a lease expires by
-- itself if its server stops before giving it back.
CREATE TABLE batch_leases (
    id         TEXT COLLATE "C" PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX batch_leases_by_user ON batch_leases (user_id, expires_at);
