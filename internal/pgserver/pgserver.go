// Package pgserver runs a private PostgreSQL server from the machine's installed server
// binaries: the embedded default for `atrium serve` when no DATABASE_URL is given, and the
// throwaway server of the test suite.
//
// The server listens only on a unix socket (no TCP port). initdb and postgres refuse to
// run as root, so when Atrium runs as root the server runs as the unprivileged "postgres"
// system user, which then owns the data folder.
package pgserver

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq" // the driver used to check the server is up
)

// ErrNoBinaries is returned when no PostgreSQL server binaries are installed.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries found (initdb, postgres): install them, e.g. `apt-get install -y postgresql`, or set DATABASE_URL")

// ErrRunning is returned when another Atrium process already runs the server in Dir.
var ErrRunning = errors.New("another Atrium is already running with this data folder")

// Options configure a server.
type Options struct {
	// Dir is the folder the server lives in: data in Dir/data, socket in Dir (or, when
	// that path is too long for a unix socket, in a short folder under /tmp).
	Dir string
	// Throwaway tunes the server for tests (no fsync, more connections).
	Throwaway bool
	Log       *slog.Logger
}

// Server is a running PostgreSQL server owned by this process.
type Server struct {
	opts      Options
	bin       string
	socketDir string
	cmd       *exec.Cmd
	lock      *os.File
	exited    chan error
	runAs     *syscall.Credential
}

// FallbackRoot holds the data folders that the postgres system user could not reach
// where they were asked for (Atrium running as root from a folder only root may enter).
var FallbackRoot = "/var/lib/atrium"

// Superuser and Port name the server's superuser role and the port of its socket file.
const (
	Superuser = "atrium"
	Port      = 5432
)

// Start initialises Dir on first use and starts the server, returning once it accepts
// connections. It fails with ErrRunning when another process holds Dir.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	opts.Dir = dir
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, bin: bin, exited: make(chan error, 1)}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if s.lock, err = lockFile(filepath.Join(dir, "atrium.lock")); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.lock.Close()
		}
	}()
	if os.Geteuid() == 0 {
		if s.runAs, err = unprivilegedUser(); err != nil {
			return nil, err
		}
		if err := checkReachable(dir, s.runAs); err != nil {
			// e.g. a clone under /root: keep the data where the postgres user can reach it.
			sum := sha256.Sum256([]byte(dir))
			alt := filepath.Join(FallbackRoot, hex.EncodeToString(sum[:6]))
			opts.Log.Warn("the postgres user cannot reach the data folder; using another", "reason", err, "folder", alt)
			if err := os.MkdirAll(alt, 0o755); err != nil {
				return nil, err
			}
			s.opts.Dir = alt
			dir = alt
		}
		if err := chownTree(dir, s.runAs); err != nil {
			return nil, err
		}
	}
	s.socketDir = dir
	if len(filepath.Join(dir, fmt.Sprintf(".s.PGSQL.%d", Port))) > 100 {
		sum := sha256.Sum256([]byte(dir))
		s.socketDir = filepath.Join(os.TempDir(), "atrium-"+hex.EncodeToString(sum[:6]))
		if err := os.MkdirAll(s.socketDir, 0o755); err != nil {
			return nil, err
		}
		if s.runAs != nil {
			if err := os.Chown(s.socketDir, int(s.runAs.Uid), int(s.runAs.Gid)); err != nil {
				return nil, err
			}
		}
	}
	if err := s.stopOrphan(); err != nil {
		return nil, err
	}
	if err := s.initdb(ctx); err != nil {
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// DSN returns a connection string for database name on this server.
func (s *Server) DSN(name string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", s.socketDir, Port, Superuser, name)
}

// Stop shuts the server down (fast shutdown: open sessions are ended, data is kept) and
// releases Dir. For a throwaway server it also removes Dir.
func (s *Server) Stop() error {
	defer s.lock.Close()
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if s.opts.Throwaway {
		return os.RemoveAll(s.opts.Dir)
	}
	return nil
}

// Exited is closed (after receiving the exit error) when the server process ends.
func (s *Server) Exited() <-chan error { return s.exited }

func (s *Server) dataDir() string { return filepath.Join(s.opts.Dir, "data") }

func (s *Server) initdb(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(s.dataDir(), "PG_VERSION")); err == nil {
		return nil
	}
	s.opts.Log.Info("creating the private PostgreSQL database", "dir", s.dataDir())
	cmd := s.command(ctx, "initdb", "-D", s.dataDir(), "-U", Superuser, "--auth=trust",
		"--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions")
	if s.opts.Throwaway {
		cmd.Args = append(cmd.Args, "--no-sync")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

func (s *Server) start(ctx context.Context) error {
	args := []string{"-D", s.dataDir(), "-k", s.socketDir, "-p", strconv.Itoa(Port),
		"-c", "listen_addresses=", "-c", "unix_socket_permissions=0700"}
	if s.runAs != nil {
		// root (the caller) must reach the socket owned by the postgres user.
		args[len(args)-1] = "unix_socket_permissions=0777"
	}
	if s.opts.Throwaway {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=400", "-c", "shared_buffers=256MB")
	} else {
		args = append(args, "-c", "max_connections=200")
	}
	logFile, err := os.OpenFile(filepath.Join(s.opts.Dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := s.command(context.Background(), "postgres", args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: a Ctrl-C in the terminal reaches Atrium, which drains its
	// requests first and then stops the database.
	cmd.SysProcAttr.Setpgid = true
	// If Atrium is killed without a chance to stop it, the server shuts down too
	// (fast shutdown) instead of lingering; an orphan left anyway is stopped on next start.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGINT
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd = cmd
	go func() {
		err := cmd.Wait()
		logFile.Close()
		s.exited <- err
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return fmt.Errorf("%w (see %s)", err, filepath.Join(s.opts.Dir, "postgres.log"))
	}
	s.opts.Log.Info("private PostgreSQL started", "socket", s.socketDir, "pid", cmd.Process.Pid)
	return nil
}

func (s *Server) waitReady(ctx context.Context) error {
	d, err := sql.Open("postgres", s.DSN("postgres"))
	if err != nil {
		return err
	}
	defer d.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := d.PingContext(ctx)
		if err == nil {
			return nil
		}
		select {
		case exitErr := <-s.exited:
			return fmt.Errorf("postgres exited during start-up: %v", exitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within a minute: %w", err)
		}
	}
}

// stopOrphan stops a server left running by an Atrium that was killed without a chance to
// stop it; the lock we hold proves no live Atrium owns it.
func (s *Server) stopOrphan() error {
	b, err := os.ReadFile(filepath.Join(s.dataDir(), "postmaster.pid"))
	if err != nil {
		return nil
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil || pid <= 0 {
		return nil
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres") {
		return nil // stale pid file: postgres removes it itself on start
	}
	s.opts.Log.Warn("stopping a PostgreSQL left running by an earlier Atrium", "pid", pid)
	p, _ := os.FindProcess(pid)
	_ = p.Signal(syscall.SIGINT)
	for range 300 {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("a PostgreSQL (pid %d) is still running on %s; stop it and try again", pid, s.dataDir())
}

func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	cmd.Dir = s.opts.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.runAs}
	cmd.Env = []string{"LC_ALL=C.UTF-8", "PATH=" + os.Getenv("PATH")}
	return cmd
}

// FindBinaries returns the folder holding initdb and postgres: from PATH, from
// `pg_config --bindir` (Debian keeps them off PATH) or from /usr/lib/postgresql/*/bin.
func FindBinaries() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("postgres"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(found) - 1; i >= 0; i-- { // newest version first
		dirs = append(dirs, found[i])
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&0o111 != 0
}

func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(path)
		f.Close()
		return nil, fmt.Errorf("%w (pid %s, folder %s): stop it first or set ATRIUM_DATA_DIR to another folder",
			ErrRunning, strings.TrimSpace(string(pid)), filepath.Dir(path))
	}
	_ = f.Truncate(0)
	_, _ = f.WriteString(strconv.Itoa(os.Getpid()))
	return f, nil
}

func unprivilegedUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as an unprivileged user, and the user \"postgres\" does not exist (install the postgresql package, or run Atrium as a normal user): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// checkReachable reports an error when the unprivileged user cannot enter every folder
// above dir (e.g. a data folder under root's home), which initdb would only report as
// "permission denied".
func checkReachable(dir string, c *syscall.Credential) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		mode := fi.Mode().Perm()
		ok := mode&0o001 != 0 ||
			(st.Uid == c.Uid && mode&0o100 != 0) ||
			(st.Gid == c.Gid && mode&0o010 != 0)
		if !ok {
			return fmt.Errorf("the postgres user cannot enter %s (mode %v), so it cannot use the data folder %s: set ATRIUM_DATA_DIR to a folder under one it can enter (e.g. /var/tmp/atrium), or run `chmod o+x %s`", p, mode, dir, p)
		}
		if p == "/" {
			return nil
		}
	}
}

func chownTree(dir string, c *syscall.Credential) error {
	return filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p == filepath.Join(dir, "atrium.lock") {
			return nil
		}
		return os.Lchown(p, int(c.Uid), int(c.Gid))
	})
}

// EnsureDatabase creates database name on the server if it does not exist and returns
// its DSN.
func (s *Server) EnsureDatabase(ctx context.Context, name string) (string, error) {
	d, err := sql.Open("postgres", s.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer d.Close()
	var exists bool
	if err := d.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := d.ExecContext(ctx, `CREATE DATABASE "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return "", fmt.Errorf("create database %s: %w", name, err)
		}
	}
	return s.DSN(name), nil
}
