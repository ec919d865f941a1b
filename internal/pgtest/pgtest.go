// Package pgtest starts a throwaway PostgreSQL server (Debian's
// postgresql package) for tests: its own cluster in a temporary directory,
// listening only on a Unix socket there, stopped and removed when the test
// ends. As root it runs the server as the postgres user, since PostgreSQL
// refuses to run as root.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running test server.
type Server struct {
	dir string
	n   atomic.Int32
}

// BinDir finds the directory of PostgreSQL's server programs: the newest
// /usr/lib/postgresql/*/bin, or where initdb is on PATH.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("PostgreSQL's server is not installed (apt-get install postgresql; .ci/run installs it)")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start starts a server for the test, or fails it. Tests of semantics run
// it with fsync off; settings (e.g. "fsync=on", for a benchmark) override.
func Start(t testing.TB, settings ...string) *Server {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "chengnuo-pg-")
	if err != nil {
		t.Fatal(err)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, the server needs the postgres user (Debian's postgresql package makes it): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	s := &Server{dir: dir}
	data := filepath.Join(dir, "data")
	cmd := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(filepath.Join(bin, name), args...)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		c.Env = append(os.Environ(), "LC_ALL=C")
		return c
	}
	if out, err := cmd("initdb", "-D", data, "-U", "chengnuo", "--auth=trust", "--encoding=UTF8", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	logf := filepath.Join(dir, "server.log")
	srv := cmd("pg_ctl", "-D", data, "-l", logf, "-w", "-t", "60", "start",
		"-o", fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories='%s' -c fsync=off", dir)+opts(settings))
	if out, err := srv.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(logf)
		os.RemoveAll(dir)
		t.Fatalf("start postgres: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() {
		_ = cmd("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").Run()
		os.RemoveAll(dir)
	})
	return s
}

func opts(settings []string) string {
	var b strings.Builder
	for _, s := range settings {
		b.WriteString(" -c " + s)
	}
	return b.String()
}

// URL is the address of database name on the server.
func (s *Server) URL(name string) string {
	return fmt.Sprintf("postgres:///%s?host=%s&user=chengnuo&sslmode=disable", name, s.dir)
}

// NewDB creates a new, empty database and returns its URL.
func (s *Server) NewDB(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%s", s.n.Add(1), strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name())))
	if len(name) > 60 {
		name = name[:60]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return s.URL(name)
}
