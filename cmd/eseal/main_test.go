package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The CLI is tested with scripts in testdata/*.txt, each a user's session:
// commands, expected output, and the files they work on.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"eseal": func() { os.Exit(run(os.Args[1:])) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			env.Setenv("ESEAL_KEYSTORE", "")
			env.Setenv("ESEAL_STORE", "")
			env.Setenv("CI", os.Getenv("CI"))
			// The PDF fixtures of the repository, for the stamping stories.
			src, err := filepath.Glob(filepath.Join("..", "..", "testdata", "pdf", "*.pdf"))
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(env.WorkDir, "pdf"), 0o755); err != nil {
				return err
			}
			for _, f := range src {
				b, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, "pdf", filepath.Base(f)), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// flipbyte FILE OFFSET: tamper with one byte, as an attacker would.
			"flipbyte": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: flipbyte FILE OFFSET")
				}
				off, err := strconv.Atoi(args[1])
				ts.Check(err)
				b, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				if off < 0 {
					off += len(b)
				}
				b[off] ^= 0x01
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
			},
			// exitcode N cmd args...: run cmd and require exit status N
			// (0 ok, 1 a verification said no, 2 bad usage or input).
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exitcode: %v", err)
				}
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					got = ee.ExitCode()
				} else if err != nil {
					ts.Fatalf("exitcode: %v", err)
				}
				if got != want {
					ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
				}
			},
		},
	})
}
