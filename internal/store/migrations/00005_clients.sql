-- API clients (departments, issuers, case systems, administrators): who may
-- call the HTTP API, with which credentials, for what, and how often. The API
-- key itself is never stored, only its SHA-256. Rows are never deleted; a
-- client is disabled.

-- +goose Up
CREATE TABLE clients (
    id               TEXT   PRIMARY KEY,         -- cl_<random>
    name             TEXT   NOT NULL,
    role             TEXT   NOT NULL,            -- admin, department, issuer, casesystem
    scopes           TEXT   NOT NULL,            -- JSON array of strings, sorted
    key_hash         BYTEA  NOT NULL,            -- SHA-256 of the API key
    cert_fingerprint TEXT,                       -- SHA-256 of the client certificate's DER, lower-case hex; NULL: none
    rate_per_sec     DOUBLE PRECISION NOT NULL,  -- sustained requests per second; 0: unlimited
    burst            INTEGER NOT NULL,           -- requests allowed at once
    disabled_at_us   BIGINT,                     -- NULL while the client is enabled
    created_at_us    BIGINT NOT NULL,
    updated_at_us    BIGINT NOT NULL
);

-- Every request is authenticated by one of these lookups. NULL fingerprints
-- are distinct, so any number of clients may have none.
CREATE UNIQUE INDEX clients_key_hash ON clients (key_hash);
CREATE UNIQUE INDEX clients_cert_fingerprint ON clients (cert_fingerprint);

-- +goose Down
DROP TABLE clients;
