-- Accounts. Usernames are stored already validated and lower-cased.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

-- The demo conference, loaded from data/conference.json on first start.
CREATE TABLE conference_days (
    number INTEGER PRIMARY KEY,
    date   TEXT    NOT NULL,
    label  TEXT    NOT NULL
) STRICT;

CREATE TABLE speakers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    affiliation TEXT NOT NULL
) STRICT;

CREATE TABLE conference_sessions (
    id        INTEGER PRIMARY KEY,
    day       INTEGER NOT NULL REFERENCES conference_days (number),
    starts_at TEXT    NOT NULL, -- "HH:MM", conference local time
    ends_at   TEXT    NOT NULL,
    title     TEXT    NOT NULL,
    room      TEXT    NOT NULL,
    track     TEXT    NOT NULL,
    abstract  TEXT    NOT NULL
) STRICT;
CREATE INDEX conference_sessions_by_time ON conference_sessions (day, starts_at, room);

CREATE TABLE session_speakers (
    session_id INTEGER NOT NULL REFERENCES conference_sessions (id),
    speaker_id INTEGER NOT NULL REFERENCES speakers (id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (session_id, speaker_id)
) STRICT;

-- "My schedule".
CREATE TABLE bookmarks (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id INTEGER NOT NULL REFERENCES conference_sessions (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, session_id)
) STRICT;

-- Messaging. Ids are UUIDs in text form; times are Unix milliseconds.
CREATE TABLE conversations (
    id               TEXT    PRIMARY KEY,
    created_by       INTEGER NOT NULL REFERENCES users (id),
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL
) STRICT;

CREATE TABLE conversation_members (
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    -- Server time up to which this member has read; compared with messages.received_at.
    last_read_at    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
) STRICT;
CREATE INDEX conversation_members_by_user ON conversation_members (user_id);

CREATE TABLE messages (
    id              TEXT    PRIMARY KEY, -- made on the device, so a resend is recognised
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       INTEGER NOT NULL REFERENCES users (id),
    body            TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at      INTEGER NOT NULL, -- when the author pressed Send
    received_at     INTEGER NOT NULL  -- when the server stored it
) STRICT;
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at);
