-- The result of every mutation applied under an idempotency key, written in
-- the same transaction as the mutation's effect. Keys belong to a user: the
-- same key from another user is another mutation.
CREATE TABLE idempotency_keys (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    result     TEXT    NOT NULL, -- JSON of the ItemResult first answered
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) STRICT;
