package store

// ClientOps are the operations on API clients; see internal/auth.
type ClientOps interface{}
