-- Live events, one row per recipient, written in the transaction of the
-- change that made them. Ids count up per user (users.last_event_id, taken
-- under the writer's lock), so a stream that reconnects, to any server,
-- resumes after the last id it was sent, with no gap and no duplicate.
ALTER TABLE users ADD COLUMN last_event_id INTEGER NOT NULL DEFAULT 0;

CREATE TABLE events (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    event      TEXT    NOT NULL, -- JSON of the LiveEvent
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, id)
) STRICT, WITHOUT ROWID;

-- Pruning by age, after the retention window.
CREATE INDEX events_by_age ON events (created_at);
