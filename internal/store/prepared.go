package store

// Prepared statements for the hot paths on SQLite.
//
// modernc.org/sqlite keeps a statement compiled for as long as its
// *sql.Stmt lives; a statement run through *sql.DB or *sql.Tx directly is
// parsed and planned again on every call, which for the few statements that
// every audited act runs costs more than running them. PostgreSQL needs
// none of this: pgx prepares each statement text once per connection and
// caches it.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// hotReads and hotWrites are the statements prepared when a SQLite store
// opens. Statements are matched by their exact text, as the methods pass
// it; a statement not listed runs unprepared.
var (
	hotReads = []string{
		sqlAuditHead,
		sqlAuditHeadForAppend,
		sqlAuditLeaves,
		sqlLicenseByID,
	}
	hotWrites = append([]string{sqlAuditMoveHead}, auditInserts()...)
)

// auditInserts are the multi-row INSERTs of AuditAppendBatch, of every
// size it uses.
func auditInserts() []string {
	var out []string
	for rows := 1; rows <= maxRowsPerInsert; rows *= 2 {
		out = append(out, insertSQL(sqlAuditInsertLeaves, 3, rows), insertSQL(sqlAuditInsertNodes, 3, rows))
	}
	return out
}

// prepared holds the hot statements of a SQLite store, prepared on its
// pools: r on the readers, w on the writer. Reads are in both, as a
// transaction (on the writer) reads too. The maps do not change after
// prepare, so they need no lock.
type prepared struct {
	rdb, wdb *sql.DB
	r, w     map[string]*sql.Stmt
}

func prepare(ctx context.Context, rdb, wdb *sql.DB) (_ *prepared, err error) {
	p := &prepared{rdb: rdb, wdb: wdb, r: map[string]*sql.Stmt{}, w: map[string]*sql.Stmt{}}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	add := func(db *sql.DB, m map[string]*sql.Stmt, qs []string) error {
		for _, q := range qs {
			s, err := db.PrepareContext(ctx, q)
			if err != nil {
				return fmt.Errorf("preparing %q: %w", q, err)
			}
			m[q] = s
		}
		return nil
	}
	if err := add(rdb, p.r, hotReads); err != nil {
		return nil, err
	}
	if err := add(wdb, p.w, hotReads); err != nil {
		return nil, err
	}
	if err := add(wdb, p.w, hotWrites); err != nil {
		return nil, err
	}
	return p, nil
}

// stmt returns the prepared statement for query on q (one of the pools, or
// a transaction on the writer), or nil to run it unprepared. A statement of
// a transaction is closed when the transaction ends; the one it comes from
// stays.
func (p *prepared) stmt(ctx context.Context, q querier, query string) *sql.Stmt {
	if p == nil {
		return nil
	}
	switch q := q.(type) {
	case *sql.Tx:
		if s := p.w[query]; s != nil {
			return q.StmtContext(ctx, s)
		}
	case *sql.DB:
		switch q {
		case p.rdb:
			return p.r[query]
		case p.wdb:
			return p.w[query]
		}
	}
	return nil
}

func (p *prepared) close() error {
	if p == nil {
		return nil
	}
	var errs []error
	for _, m := range []map[string]*sql.Stmt{p.r, p.w} {
		for _, s := range m {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}
