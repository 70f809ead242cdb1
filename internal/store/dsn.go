package store

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// target is a parsed DSN.
type target struct {
	dialect    string
	sqlitePath string // DialectSQLite
	pgDSN      string // DialectPostgres, schema= already turned into search_path=
	redacted   string // the DSN as it may be shown
}

const dsnForms = `want "sqlite:PATH", "file:PATH", "PATH.db" or "postgres://USER@HOST/DB"`

func parseDSN(dsn string) (target, error) {
	t := target{redacted: redact(dsn)}
	s := strings.TrimSpace(dsn)
	if s == "" {
		return t, errors.New("store: empty DSN; " + dsnForms)
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		t.dialect = DialectPostgres
		pg, err := schemaToSearchPath(s)
		if err != nil {
			return t, fmt.Errorf("store: PostgreSQL DSN %s: %w", t.redacted, err)
		}
		t.pgDSN = pg
		return t, nil
	case strings.HasPrefix(lower, "sqlite:"):
		t.dialect = DialectSQLite
		t.sqlitePath = s[len("sqlite:"):]
	case strings.HasPrefix(lower, "file:"):
		t.dialect = DialectSQLite
		t.sqlitePath = s[len("file:"):]
	case !strings.Contains(s, "://") && hasSQLiteExt(lower):
		t.dialect = DialectSQLite
		t.sqlitePath = s
	default:
		return t, fmt.Errorf("store: unrecognised DSN %q; %s", t.redacted, dsnForms)
	}
	// "sqlite:///var/lib/eseal.db" is the URL spelling of an absolute path.
	if strings.HasPrefix(t.sqlitePath, "///") {
		t.sqlitePath = t.sqlitePath[2:]
	}
	switch p := t.sqlitePath; {
	case p == "":
		return t, fmt.Errorf("store: SQLite DSN %q has no file path", t.redacted)
	case p == ":memory:" || strings.HasPrefix(p, ":memory:"):
		return t, fmt.Errorf("store: SQLite DSN %q: in-memory databases are not supported; use a file (in tests, under t.TempDir())", t.redacted)
	case strings.ContainsAny(p, "?#"):
		// The driver would cut the path at '?' and read what follows as its
		// own parameters; the store sets those itself.
		return t, fmt.Errorf("store: SQLite DSN %q: parameters and '?' or '#' in the path are not supported; the store sets its own pragmas", t.redacted)
	}
	return t, nil
}

func hasSQLiteExt(lower string) bool {
	for _, ext := range []string{".db", ".sqlite", ".sqlite3"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// schemaToSearchPath turns our schema=NAME parameter into search_path=NAME,
// which pgx passes to the server as a run-time parameter.
func schemaToSearchPath(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		// pgx reports URL syntax errors more precisely; let it.
		return dsn, nil
	}
	q := u.Query()
	if !q.Has("schema") {
		return dsn, nil
	}
	if q.Has("search_path") {
		return "", errors.New("both schema and search_path are set; use one")
	}
	schema := q.Get("schema")
	if schema == "" {
		return "", errors.New("schema parameter is empty")
	}
	q.Del("schema")
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

var (
	urlPassword = regexp.MustCompile(`(?i)(://[^:/@?#]*:)([^@/?#]*)@`)
	kvPassword  = regexp.MustCompile(`(?i)(password=)('[^']*'|[^\s&]*)`)
)

// redact hides passwords in a DSN, both in a URL's user info and in
// password= parameters.
func redact(dsn string) string {
	s := urlPassword.ReplaceAllString(dsn, "${1}xxxxx@")
	return kvPassword.ReplaceAllString(s, "${1}xxxxx")
}

// secrets returns the passwords in a DSN, raw and URL-decoded, for scrubbing
// them from driver error messages.
func secrets(dsn string) []string {
	var out []string
	add := func(s string) {
		s = strings.Trim(s, "'")
		if s == "" {
			return
		}
		out = append(out, s)
		if d, err := url.QueryUnescape(s); err == nil && d != s {
			out = append(out, d)
		}
	}
	for _, m := range urlPassword.FindAllStringSubmatch(dsn, -1) {
		add(m[2])
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		add(m[2])
	}
	return out
}

// scrubbedError carries an error whose message has had passwords removed. It
// unwraps to the original, so errors.Is and errors.As still work.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrub removes the DSN's passwords from err's message.
func scrub(err error, dsn string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets(dsn) {
		if strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// RedactDSN hides a password in a DSN, for logs and messages.
func RedactDSN(dsn string) string { return redact(dsn) }
