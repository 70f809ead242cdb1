-- Sequences, settings and the certificates a CA issued.
--
-- Portable SQL (SQLite and PostgreSQL): timestamps are BIGINT microseconds
-- since the Unix epoch, UTC (columns end in _us); binary columns are BYTEA,
-- which SQLite stores as a blob. See README.md beside this file.

-- +goose Up
CREATE TABLE serials (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE settings (
    name          TEXT   PRIMARY KEY,
    value         BYTEA  NOT NULL,
    updated_at_us BIGINT NOT NULL
);

CREATE TABLE certificates (
    issuer        TEXT    NOT NULL,
    serial        TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    not_before_us BIGINT  NOT NULL,
    not_after_us  BIGINT  NOT NULL,
    der           BYTEA   NOT NULL,
    revoked_at_us BIGINT,             -- NULL while the certificate is not revoked
    reason        INTEGER NOT NULL DEFAULT 0, -- RFC 5280 5.3.1 CRLReason
    created_at_us BIGINT  NOT NULL,
    PRIMARY KEY (issuer, serial)
);

-- CRL generation lists the revoked certificates of one issuer.
CREATE INDEX certificates_revoked ON certificates (issuer, revoked_at_us)
    WHERE revoked_at_us IS NOT NULL;

-- +goose Down
DROP TABLE certificates;
DROP TABLE settings;
DROP TABLE serials;
