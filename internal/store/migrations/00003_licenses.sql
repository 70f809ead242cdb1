-- The license library (电子证照库): every license issued, its lifecycle as
-- signed events, and who looked licenses up by holder and why. Nothing is
-- ever deleted.

-- +goose Up
CREATE TABLE licenses (
    id               TEXT    PRIMARY KEY,   -- GB/T 36904 identifier
    type_code        TEXT    NOT NULL,
    number           TEXT    NOT NULL,      -- printed number (证照编号)
    issuer_code      TEXT    NOT NULL,
    issuer_name      TEXT    NOT NULL,
    holder_name      TEXT    NOT NULL,
    holder_code      TEXT    NOT NULL,
    holder_code_type TEXT    NOT NULL,
    status           TEXT    NOT NULL,      -- valid, suspended, revoked, cancelled, replaced
    version          INTEGER NOT NULL,
    replaces         TEXT    NOT NULL DEFAULT '',
    replaced_by      TEXT    NOT NULL DEFAULT '',
    valid_from_us    BIGINT  NOT NULL,
    valid_to_us      BIGINT  NOT NULL,      -- 0: long-term (长期)
    token            TEXT    NOT NULL,      -- the signed license data (compact JWS)
    pdf_sha256       TEXT    NOT NULL DEFAULT '',
    issued_at_us     BIGINT  NOT NULL,
    updated_at_us    BIGINT  NOT NULL
);
CREATE INDEX licenses_holder ON licenses (holder_code);
CREATE UNIQUE INDEX licenses_number ON licenses (issuer_code, number, version);

CREATE TABLE license_events (
    license_id TEXT   NOT NULL REFERENCES licenses (id),
    seq        BIGINT NOT NULL,
    at_us      BIGINT NOT NULL,
    event      TEXT   NOT NULL,   -- issued, suspended, reinstated, revoked, cancelled, replaced
    reason     TEXT   NOT NULL,
    actor      TEXT   NOT NULL,
    token      TEXT   NOT NULL,   -- the event, signed by the issuer (compact JWS)
    PRIMARY KEY (license_id, seq)
);

CREATE TABLE holder_queries (
    at_us      BIGINT  NOT NULL,
    client     TEXT    NOT NULL,
    holder     TEXT    NOT NULL,  -- masked
    reason     TEXT    NOT NULL,  -- 申请事由
    results    INTEGER NOT NULL
);
CREATE INDEX holder_queries_at ON holder_queries (at_us);

-- +goose Down
DROP TABLE holder_queries;
DROP TABLE license_events;
DROP TABLE licenses;
