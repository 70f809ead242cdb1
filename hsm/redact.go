package hsm

import "regexp"

var secretParam = regexp.MustCompile(`(?i)(pin-value|passphrase)=[^&;?]*`)

// RedactURI hides secret values in a keystore URI so that it can be logged
// or shown in an error message.
func RedactURI(uri string) string {
	return secretParam.ReplaceAllString(uri, "$1=REDACTED")
}
