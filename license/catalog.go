// Package license issues electronic licenses (电子证照): the license
// catalog (证照目录), GB/T 36904 identifiers, GB/T 36903 metadata, signing
// of the license data by the issuer's key, the license library with every
// license's lifecycle, and the QR payload printed on a license.
package license

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eseal-project/eseal/license/ids"
)

// FieldType says how a face field is validated.
type FieldType string

const (
	FieldString    FieldType = "string"
	FieldText      FieldType = "text" // multi-line
	FieldDate      FieldType = "date" // YYYY-MM-DD
	FieldEnum      FieldType = "enum"
	FieldUSCC      FieldType = "uscc"
	FieldCitizenID FieldType = "citizen_id"
)

// Field is one item of a license's face (照面信息).
type Field struct {
	Key      string    `json:"key"`
	Label    string    `json:"label"`
	Type     FieldType `json:"type"`
	Required bool      `json:"required"`
	MaxLen   int       `json:"maxLen,omitempty"` // characters
	Pattern  string    `json:"pattern,omitempty"`
	Options  []string  `json:"options,omitempty"`
	re       *regexp.Regexp
}

// Validity says how long a license of a type is valid from its issue date.
type Validity struct {
	LongTerm bool `json:"longTerm,omitempty"` // 长期
	Years    int  `json:"years,omitempty"`
	Months   int  `json:"months,omitempty"`
	Days     int  `json:"days,omitempty"`
}

// Template is how the type's license is drawn.
type Template struct {
	Title     string `json:"title"`
	Subtitle  string `json:"subtitle,omitempty"`
	Accent    string `json:"accent,omitempty"` // #RRGGBB
	Watermark string `json:"watermark,omitempty"`
}

// Type is a license type of the catalog.
type Type struct {
	// Code is the 证照类型代码: the defining body's USCC and a 3-digit
	// sequence (GB/T 36904-2018).
	Code    string `json:"code"`
	Name    string `json:"name"`
	Definer string `json:"definer"`
	// Issuers lists the USCCs of the bodies allowed to issue the type.
	Issuers []string `json:"issuers"`
	// HolderCodeType is "uscc" (organisations) or "citizen_id" (people).
	HolderCodeType string `json:"holderCodeType"`
	// HolderField and HolderCodeField name the face fields that hold the
	// holder's name and code (持证主体, 持证主体代码).
	HolderField     string   `json:"holderField"`
	HolderCodeField string   `json:"holderCodeField"`
	Fields          []Field  `json:"fields"`
	Validity        Validity `json:"validity"`
	Template        Template `json:"template"`
}

// Catalog is the set of license types a deployment knows.
type Catalog struct {
	types map[string]*Type
}

//go:embed catalog/*.json
var builtin embed.FS

// Errors a caller branches on.
var (
	ErrUnknownType  = errors.New("unknown license type")
	ErrInvalidData  = errors.New("invalid license data")
	ErrNotIssuer    = errors.New("not an issuer of this license type")
	ErrNotFound     = errors.New("license not found")
	ErrBadToken     = errors.New("license token does not verify")
	ErrBadLifecycle = errors.New("lifecycle change not allowed")
)

// LoadCatalog loads the built-in types and then every *.json file in dirs;
// a type in a directory replaces a built-in one of the same code.
func LoadCatalog(dirs ...string) (*Catalog, error) {
	c := &Catalog{types: map[string]*Type{}}
	err := fs.WalkDir(builtin, "catalog", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := builtin.ReadFile(p)
		if err != nil {
			return err
		}
		return c.add(p, b)
	})
	if err != nil {
		return nil, err
	}
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("license catalog: %w", err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			if err := c.add(f, b); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

func (c *Catalog) add(name string, b []byte) error {
	var t Type
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return fmt.Errorf("license catalog %s: %w", name, err)
	}
	if err := t.check(); err != nil {
		return fmt.Errorf("license catalog %s: %w", name, err)
	}
	c.types[t.Code] = &t
	return nil
}

func (t *Type) check() error {
	if len(t.Code) != 21 {
		return fmt.Errorf("type code %q: want the defining body's 18-character USCC and 3 digits", t.Code)
	}
	if err := ids.ValidateUSCC(t.Code[:18]); err != nil {
		return fmt.Errorf("type code %q: %w", t.Code, err)
	}
	for _, c := range t.Code[18:] {
		if c < '0' || c > '9' {
			return fmt.Errorf("type code %q: the last 3 characters must be digits", t.Code)
		}
	}
	if t.Name == "" || len(t.Fields) == 0 {
		return fmt.Errorf("type %s: a name and face fields are required", t.Code)
	}
	if len(t.Issuers) == 0 {
		return fmt.Errorf("type %s: no issuing bodies", t.Code)
	}
	for _, u := range t.Issuers {
		if err := ids.ValidateUSCC(u); err != nil {
			return fmt.Errorf("type %s: issuer %q: %w", t.Code, u, err)
		}
	}
	if t.HolderCodeType != "uscc" && t.HolderCodeType != "citizen_id" {
		return fmt.Errorf("type %s: holderCodeType must be uscc or citizen_id", t.Code)
	}
	keys := map[string]bool{}
	for i := range t.Fields {
		f := &t.Fields[i]
		if f.Key == "" || f.Label == "" || keys[f.Key] {
			return fmt.Errorf("type %s: field %d: a unique key and a label are required", t.Code, i+1)
		}
		keys[f.Key] = true
		switch f.Type {
		case FieldString, FieldText, FieldDate, FieldUSCC, FieldCitizenID:
		case FieldEnum:
			if len(f.Options) == 0 {
				return fmt.Errorf("type %s: field %s: an enum needs options", t.Code, f.Key)
			}
		default:
			return fmt.Errorf("type %s: field %s: unknown type %q", t.Code, f.Key, f.Type)
		}
		if f.Pattern != "" {
			re, err := regexp.Compile(f.Pattern)
			if err != nil {
				return fmt.Errorf("type %s: field %s: pattern: %w", t.Code, f.Key, err)
			}
			f.re = re
		}
	}
	if !keys[t.HolderField] || !keys[t.HolderCodeField] {
		return fmt.Errorf("type %s: holderField and holderCodeField must name face fields", t.Code)
	}
	v := t.Validity
	if !v.LongTerm && v.Years == 0 && v.Months == 0 && v.Days == 0 {
		return fmt.Errorf("type %s: validity: give years, months, days or longTerm", t.Code)
	}
	if t.Template.Title == "" {
		t.Template.Title = t.Name
	}
	return nil
}

// Type returns the type with code.
func (c *Catalog) Type(code string) (*Type, error) {
	t, ok := c.types[code]
	if !ok {
		return nil, fmt.Errorf("%w %q: the catalog has %s", ErrUnknownType, code, strings.Join(c.codes(), ", "))
	}
	return t, nil
}

// Types lists the types by code.
func (c *Catalog) Types() []*Type {
	var out []*Type
	for _, code := range c.codes() {
		out = append(out, c.types[code])
	}
	return out
}

func (c *Catalog) codes() []string {
	var out []string
	for k := range c.types {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ValidateFace checks face data against the type: required fields, no
// unknown ones, lengths, patterns, options, dates and codes. The error lists
// every problem found.
func (t *Type) ValidateFace(face map[string]string) error {
	var problems []string
	known := map[string]bool{}
	for _, f := range t.Fields {
		known[f.Key] = true
		v, ok := face[f.Key]
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			if f.Required {
				problems = append(problems, fmt.Sprintf("%s (%s) is required", f.Label, f.Key))
			}
			continue
		}
		if f.MaxLen > 0 && utf8.RuneCountInString(v) > f.MaxLen {
			problems = append(problems, fmt.Sprintf("%s (%s) is longer than %d characters", f.Label, f.Key, f.MaxLen))
		}
		if f.Type != FieldText && strings.ContainsAny(v, "\r\n") {
			problems = append(problems, fmt.Sprintf("%s (%s) must be one line", f.Label, f.Key))
		}
		switch f.Type {
		case FieldDate:
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				problems = append(problems, fmt.Sprintf("%s (%s) %q is not a date YYYY-MM-DD", f.Label, f.Key, v))
			}
		case FieldEnum:
			found := false
			for _, o := range f.Options {
				found = found || o == v
			}
			if !found {
				problems = append(problems, fmt.Sprintf("%s (%s) %q is not one of %s", f.Label, f.Key, v, strings.Join(f.Options, "、")))
			}
		case FieldUSCC:
			if err := ids.ValidateUSCC(v); err != nil {
				problems = append(problems, fmt.Sprintf("%s (%s): %v", f.Label, f.Key, err))
			}
		case FieldCitizenID:
			if err := ids.ValidateCitizenID(v); err != nil {
				problems = append(problems, fmt.Sprintf("%s (%s): %v", f.Label, f.Key, err))
			}
		}
		if f.re != nil && !f.re.MatchString(v) {
			problems = append(problems, fmt.Sprintf("%s (%s) %q does not match %s", f.Label, f.Key, v, f.Pattern))
		}
	}
	var unknown []string
	for k := range face {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		problems = append(problems, fmt.Sprintf("%q is not a field of %s", k, t.Name))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w for %s (%s): %s", ErrInvalidData, t.Name, t.Code, strings.Join(problems, "; "))
	}
	return nil
}

// ValidTo is the end of validity for a license issued at from; zero means
// long-term.
func (t *Type) ValidTo(from time.Time) time.Time {
	v := t.Validity
	if v.LongTerm {
		return time.Time{}
	}
	return from.AddDate(v.Years, v.Months, v.Days).Add(-time.Second)
}

// MayIssue reports whether the body with USCC code may issue the type.
func (t *Type) MayIssue(code string) bool {
	for _, u := range t.Issuers {
		if u == code {
			return true
		}
	}
	return false
}
