-- A conversation started on a device under its own id, when the server
-- already had a 1:1 conversation between the same two people: the device's
-- id stays an alias of the existing one, so messages queued for it land
-- there and starting a 1:1 twice never makes two.
CREATE TABLE conversation_aliases (
    id              TEXT    PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE
) STRICT;

-- The conversation list is paged by last activity.
CREATE INDEX conversations_by_activity ON conversations (last_activity_at, id);
