// Command pgtemp runs a command against a throwaway PostgreSQL: it starts a private server
// from the machine's PostgreSQL binaries in a temporary folder, sets DATABASE_URL for the
// command, and removes everything when the command ends. `make test` uses it so that one
// server serves every test package of the run.
//
//	go run ./tools/pgtemp -- go test ./...
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"atrium/internal/pgserver"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: pgtemp -- command [args...]")
		os.Exit(2)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	dir, err := os.MkdirTemp("", "atrium-pg-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtemp:", err)
		return 1
	}
	srv, err := pgserver.Start(context.Background(), pgserver.Options{Dir: dir, Throwaway: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtemp:", err)
		os.RemoveAll(dir)
		return 1
	}
	defer srv.Stop()

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "DATABASE_URL="+srv.DSN("postgres"))
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtemp:", err)
		return 1
	}
	// Forward Ctrl-C/SIGTERM to the command and still clean up after it.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtemp:", err)
		return 1
	}
	return 0
}
