// Command eseal is the one binary of the trust service: keystores, PKI,
// seals, licenses, verification and the HTTP service.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes shared by every command.
const (
	exitOK       = 0 // done; a verification said yes
	exitNotValid = 1 // a verification said no
	exitUsage    = 2 // bad usage or unusable input
)

// verdictError reports that a verification ran and said no; it maps to exit
// code 1. Every other error maps to exit code 2.
type verdictError struct{ msg string }

func (e *verdictError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var v *verdictError
	if errors.As(err, &v) {
		if v.msg != "" {
			fmt.Fprintln(os.Stderr, "eseal:", v.msg)
		}
		return exitNotValid
	}
	fmt.Fprintln(os.Stderr, "eseal:", err)
	return exitUsage
}
