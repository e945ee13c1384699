-- The governance store, on SQLite and PostgreSQL alike: only types both know (TEXT, BIGINT),
-- times as Unix seconds, identifiers given by the program (no SERIAL / AUTOINCREMENT).

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL
);

-- Browser sessions: the SHA-256 of the cookie's value, never the value.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    csrf TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL
);

-- Counters for the numbers the program gives (applications).
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('application', 0);

-- An application for access (a project once approved). `body` is its form as JSON; `round`
-- counts its submissions (each review round); `version` its amendments since the first approval.
CREATE TABLE applications (
    id BIGINT PRIMARY KEY,
    owner TEXT NOT NULL REFERENCES users (name),
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    round BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL
);

-- Every state change: who, when, from what to what, and why.
CREATE TABLE transitions (
    application BIGINT NOT NULL REFERENCES applications (id),
    seq BIGINT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    time BIGINT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (application, seq)
);

-- A committee member's declared conflict of interest on an application.
CREATE TABLE conflicts (
    application BIGINT NOT NULL REFERENCES applications (id),
    reviewer TEXT NOT NULL REFERENCES users (name),
    reason TEXT NOT NULL,
    time BIGINT NOT NULL,
    PRIMARY KEY (application, reviewer)
);

-- A committee member's opinion in one review round.
CREATE TABLE reviews (
    application BIGINT NOT NULL REFERENCES applications (id),
    round BIGINT NOT NULL,
    reviewer TEXT NOT NULL REFERENCES users (name),
    opinion TEXT NOT NULL,
    comment TEXT NOT NULL,
    time BIGINT NOT NULL,
    PRIMARY KEY (application, round, reviewer)
);

-- The committee's decision closing a review round, with its motivation.
CREATE TABLE decisions (
    application BIGINT NOT NULL REFERENCES applications (id),
    round BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    motivation TEXT NOT NULL,
    conditions TEXT NOT NULL,
    decider TEXT NOT NULL REFERENCES users (name),
    time BIGINT NOT NULL,
    PRIMARY KEY (application, round)
);

-- The permit in force for a project: what its workspace holds, who may use it, until when.
-- `body` is the approved form (JSON); an amendment's approval replaces it.
CREATE TABLE permits (
    application BIGINT PRIMARY KEY REFERENCES applications (id),
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    granted BIGINT NOT NULL,
    expires BIGINT NOT NULL
);

-- Bearer tokens for scripts: scoped to one project, expiring, revocable; the SHA-256 of the
-- secret, never the secret.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_name TEXT NOT NULL REFERENCES users (name),
    project BIGINT NOT NULL REFERENCES applications (id),
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);
