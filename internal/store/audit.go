package store

// AuditOps are the audit log's operations; see internal/audit.
type AuditOps interface{}
