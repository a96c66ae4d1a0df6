-- Limits that must hold whichever server a request reaches.

-- Attempts by key (GCRA): when the key's next attempt is due, in Unix
-- milliseconds. A key whose time has passed is spent and may be deleted.
CREATE TABLE rate_limits (
    key    TEXT    PRIMARY KEY,
    due_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX rate_limits_by_due ON rate_limits (due_at);

-- Mutation batches being applied, one lease each; a lease expires by
-- itself if its server stops before giving it back.
CREATE TABLE batch_leases (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX batch_leases_by_user ON batch_leases (user_id, expires_at);
