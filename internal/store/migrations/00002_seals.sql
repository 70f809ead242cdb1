-- The seal registry (印章登记): every seal the service may stamp with, and a
-- record of every use. Rows are never deleted; a seal's status changes.

-- +goose Up
CREATE TABLE seals (
    id            TEXT   PRIMARY KEY,   -- GB/T 38540 esID
    name          TEXT   NOT NULL,      -- seal name, e.g. 行政审批专用章
    owner         TEXT   NOT NULL,      -- owning department
    keystore      TEXT   NOT NULL,      -- keystore URI, never with a PIN or passphrase
    key_label     TEXT   NOT NULL,
    signer_cert   BYTEA  NOT NULL,      -- DER
    seal_der      BYTEA  NOT NULL,      -- SES_Seal, DER
    status        TEXT   NOT NULL,      -- active, suspended, revoked
    valid_from_us BIGINT NOT NULL,
    valid_to_us   BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL
);

CREATE TABLE seal_events (
    seal_id  TEXT   NOT NULL REFERENCES seals (id),
    seq      BIGINT NOT NULL,
    at_us    BIGINT NOT NULL,
    event    TEXT   NOT NULL,           -- registered, stamped, suspended, reactivated, revoked
    detail   TEXT   NOT NULL,           -- for stamps: document SHA-256 and field
    PRIMARY KEY (seal_id, seq)
);

-- +goose Down
DROP TABLE seal_events;
DROP TABLE seals;
