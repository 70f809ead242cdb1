package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// Require wraps next so that it runs only for an authenticated client within
// its rate limit that holds every scope scopes(r) returns; the client is in
// the request's context (FromContext). scopes may be nil (any authenticated
// client) and must derive the scopes from the request alone, without
// consulting the store: so a refusal says nothing about whether the resource
// exists.
//
// Refusals are JSON, {"error": code, "message": text}:
//
//	401 unauthenticated  no credentials, or not those of an enabled client
//	                     (with WWW-Authenticate: Bearer)
//	429 rate_limited     over the client's rate limit (with Retry-After)
//	403 forbidden        a scope is missing; the body depends only on the
//	                     kind of scope, never on the resource
//	503 unavailable      the store could not be read
func (a *Authenticator) Require(scopes func(r *http.Request) []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := a.Identify(r)
		if err != nil {
			a.refuseUnauthenticated(w, r, err)
			return
		}
		if ok, wait := a.Allow(c); !ok {
			secs := retryAfterSeconds(wait)
			a.log.InfoContext(r.Context(), "auth: rate limited", "client", c.ID, "retry_after_s", secs)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, "rate_limited",
				"too many requests from this client; retry after "+strconv.Itoa(secs)+" s")
			return
		}
		if scopes != nil {
			for _, s := range scopes(r) {
				if !c.Can(s) {
					a.log.WarnContext(r.Context(), "auth: forbidden", "client", c.ID, "scope", s, "method", r.Method, "path", r.URL.Path)
					writeError(w, http.StatusForbidden, "forbidden", forbiddenMessage(s))
					return
				}
			}
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
	})
}

// Scopes returns a scopes function for Require that asks for the same
// scopes on every request.
func Scopes(scopes ...string) func(*http.Request) []string {
	return func(*http.Request) []string { return scopes }
}

func (a *Authenticator) refuseUnauthenticated(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, ErrUnauthenticated) {
		a.log.ErrorContext(r.Context(), "auth: cannot identify clients", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "clients cannot be looked up at the moment; try again later")
		return
	}
	// err is one of ours and never holds the credential.
	msg := strings.TrimPrefix(err.Error(), ErrUnauthenticated.Error()+": ")
	challenge := `Bearer realm="eseal"`
	if !errors.Is(err, errNoCredentials) {
		// RFC 6750 3.1: credentials were sent and are no good.
		challenge += `, error="invalid_token"`
	}
	a.log.WarnContext(r.Context(), "auth: unauthenticated", "reason", msg, "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, "unauthenticated", msg)
}

// forbiddenMessage says what the client may not do, by the kind of scope
// only: not which seal, issuer or type, and so nothing about whether it
// exists.
func forbiddenMessage(scope string) string {
	kind, _, _ := strings.Cut(scope, ":")
	switch kind {
	case kindSeal:
		return "this client may not stamp with this seal"
	case kindIssuer:
		return "this client may not act for this issuing department"
	case kindType:
		return "this client may not issue licenses of this type"
	case ScopeVerify:
		return "this client may not call the verification endpoints"
	case ScopeLookup:
		return "this client may not look up a holder's licenses"
	case ScopeAdmin:
		return "this client may not administer the service"
	}
	return "this client may not make this request"
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{code, message})
}

// Forbid answers 403 for a missing scope exactly as Require does, for
// handlers that can only tell the scope a request needs once they have
// read it (e.g. the issuer of a license): the body depends only on the kind
// of scope, so it says nothing about the resource.
func Forbid(w http.ResponseWriter, scope string) {
	writeError(w, http.StatusForbidden, "forbidden", forbiddenMessage(scope))
}
