package verify

import "testing"

func TestIsToken(t *testing.T) {
	for s, want := range map[string]bool{
		"eyJhbGciOiJTTTJTTTMifQ.eyJpZCI6IjEifQ.c2ln": true,
		"eyJhbGciOiJTTTJTTTMifQ.eyJpZCI6IjEifQ.":     true, // an unsigned JWS still has the shape
		"a-_.B09.":                                   true,
		"":                                           false,
		"a.b":                                        false,
		".b.c":                                       false,
		"a..c":                                       false,
		"a.b.c.d":                                    false,
		"a.b.c=":                                     false, // padding is not base64url
		"a.b+.c":                                     false,
		"a.b.c\n":                                    false,
		"1.2.156.3005.2.X":                           false, // a license identifier
		"a.b.c ":                                     false,
	} {
		if got := IsToken(s); got != want {
			t.Errorf("IsToken(%q) = %v, want %v", s, got, want)
		}
	}
}
