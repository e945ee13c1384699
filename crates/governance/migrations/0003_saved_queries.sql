-- A project's saved queries: named SQL statements its members keep beside their workspace.
INSERT INTO counters (name, value) VALUES ('saved_query', 0);
CREATE TABLE saved_queries (
    id BIGINT PRIMARY KEY,
    application BIGINT NOT NULL REFERENCES applications (id),
    owner TEXT NOT NULL REFERENCES users (name),
    name TEXT NOT NULL,
    statement TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX saved_queries_application ON saved_queries (application);
