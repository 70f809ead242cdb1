-- The audit log (internal/audit): an append-only RFC 6962 Merkle tree whose
-- leaves are JSON entries, and the signed checkpoints of its tree heads.
-- Leaves, nodes and checkpoints are never updated or deleted. The one row of
-- audit_head is the tree's right edge; every append locks it, so appends from
-- all goroutines, processes and replicas take the indexes 0, 1, 2, ... in
-- turn.

-- +goose Up
CREATE TABLE audit_leaves (
    idx       BIGINT PRIMARY KEY,   -- leaf index, which is also the entry's seq
    leaf_hash BYTEA  NOT NULL,      -- SHA-256(0x00 || data), RFC 6962 2.1
    data      BYTEA  NOT NULL       -- the entry (JSON), exactly the bytes hashed
);

-- Roots of the perfect subtrees above the leaves, written as appends complete
-- them, so that proofs read O(log n) rows. Level 0 is audit_leaves.leaf_hash.
CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,         -- 1 and up
    idx   BIGINT  NOT NULL,         -- covers leaves [idx * 2^level, (idx+1) * 2^level)
    hash  BYTEA   NOT NULL,
    PRIMARY KEY (level, idx)
);

-- The first append creates the row (a fresh store has empty tables, which
-- restoring a backup requires).
CREATE TABLE audit_head (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    size          BIGINT  NOT NULL, -- number of leaves
    compact_range BYTEA   NOT NULL, -- roots of the perfect subtrees covering [0, size), left to right, 32 bytes each
    root          BYTEA   NOT NULL, -- root hash of the tree of that size
    updated_at_us BIGINT  NOT NULL
);

CREATE TABLE audit_checkpoints (
    seq   BIGINT PRIMARY KEY,       -- the order they were stored in (serials 'audit_checkpoint')
    size  BIGINT NOT NULL,
    root  BYTEA  NOT NULL,
    at_us BIGINT NOT NULL,          -- the time the checkpoint states
    note  BYTEA  NOT NULL           -- the signed note (C2SP tlog-checkpoint)
);
CREATE INDEX audit_checkpoints_size ON audit_checkpoints (size, seq);

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_head;
DROP TABLE audit_nodes;
DROP TABLE audit_leaves;
