-- The workspace built from each permit: the permit version it holds and how its build went.
CREATE TABLE workspaces (
    application BIGINT PRIMARY KEY REFERENCES applications (id),
    version BIGINT NOT NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL,
    updated BIGINT NOT NULL
);
