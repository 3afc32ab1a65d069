package devdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNoBinaries means no PostgreSQL server binaries were found.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: install them (Debian/Ubuntu: apt-get install postgresql) or set HOSO_DATABASE_URL")

// superuser is the cluster's bootstrap role; trust authentication over a
// socket only this checkout knows.
const superuser = "hoso"

// Cluster is a private development cluster rooted at Dir.
type Cluster struct {
	Dir     string // e.g. <repo>/var/pg
	binDir  string
	sockDir string
	cred    *syscall.Credential // nil when not root
}

// Open locates the binaries and lays out the cluster's paths; it starts
// nothing. varDir is the repository's var/ directory.
func Open(varDir string) (*Cluster, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(varDir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: filepath.Join(abs, "pg"), binDir: bin}
	if os.Geteuid() == 0 {
		c.cred = &syscall.Credential{Uid: 65534, Gid: 65534}
		if u, err := user.Lookup("nobody"); err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		}
		// The unprivileged server must reach its data through every parent
		// directory; a checkout under a private home (0700) would block it,
		// so such checkouts keep the cluster in the system temp directory.
		if !traversableByOthers(abs) {
			c.Dir = filepath.Join(os.TempDir(), "hoso-pg-"+shortHash(abs))
		}
	}
	c.sockDir = filepath.Join(c.Dir, "run")
	// A Unix socket path is limited to 107 bytes.
	if len(c.sockDir)+len("/.s.PGSQL.5432") > 100 {
		c.sockDir = filepath.Join(os.TempDir(), "hoso-sock-"+shortHash(c.Dir))
	}
	return c, nil
}

// URL is the connection string for database name on this cluster.
func (c *Cluster) URL(database string) string {
	return fmt.Sprintf("postgres://%s@/%s?host=%s&sslmode=disable", superuser, database, c.sockDir)
}

// Ensure initializes the cluster if needed, starts it if it is not running,
// and creates the named databases if missing. It is safe to call from several
// processes at once (a lock file serializes them).
func (c *Cluster) Ensure(ctx context.Context, databases ...string) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(filepath.Join(c.Dir, ".lock"))
	if err != nil {
		return err
	}
	defer unlock()

	data := filepath.Join(c.Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		if err := c.initdb(ctx, data); err != nil {
			return err
		}
	}
	if !c.running(ctx) {
		if err := c.start(ctx, data); err != nil {
			return err
		}
	}
	return c.createDatabases(ctx, databases)
}

// Stop stops the cluster if it runs.
func (c *Cluster) Stop(ctx context.Context) error {
	data := filepath.Join(c.Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err != nil {
		return nil
	}
	return c.run(ctx, "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
}

// StopImmediately stops the cluster as an outage would (pg_ctl stop -m
// immediate: no checkpoint, connections dropped), for tests of outages;
// Ensure starts it again, with crash recovery.
func (c *Cluster) StopImmediately(ctx context.Context) error {
	return c.run(ctx, "pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop")
}

// Crash kills the cluster's server with SIGKILL and no shutdown, as the OOM
// killer or a power cut would: the postmaster alone when every is false (its
// backends then notice its death and exit mid-statement), or the postmaster
// and all its children at once. Ensure then restarts it, and PostgreSQL
// recovers from its WAL. Crash returns once every process of the server has
// exited (a new server refuses to start beside a survivor holding the old
// shared memory), and removes the dead server's lock files (data directory
// and socket): its parent may be slow to reap it, and a new server takes an
// unreaped process for a live one. Tests of crash safety use it.
func (c *Cluster) Crash(ctx context.Context, every bool) error {
	pidFile := filepath.Join(c.Dir, "data", "postmaster.pid")
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		return fmt.Errorf("devdb: crash: %w", err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 1 {
		return fmt.Errorf("devdb: crash: postmaster.pid starts with %q", first)
	}
	children := childrenOf(pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("devdb: crash: killing the postmaster %d: %w", pid, err)
	}
	if every {
		for _, child := range children {
			_ = syscall.Kill(child, syscall.SIGKILL) // it may have exited already
		}
	}
	for _, p := range append(children, pid) {
		for alive(p) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("devdb: crash: process %d still runs: %w", p, ctx.Err())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	for _, lock := range []string{pidFile, filepath.Join(c.sockDir, ".s.PGSQL.5432.lock")} {
		if err := os.Remove(lock); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("devdb: crash: %w", err)
		}
	}
	return nil
}

// alive reports whether process pid runs; a zombie (exited, not yet reaped
// by its parent) does not.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	fields := strings.Fields(string(stat[i+1:]))
	return i >= 0 && len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// childrenOf lists the processes whose parent is pid (Linux /proc).
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid …": comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

func (c *Cluster) initdb(ctx context.Context, data string) error {
	_ = os.RemoveAll(data) // a half-made data dir from a crash
	for _, d := range []string{c.Dir, c.sockDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := c.chown(d); err != nil {
			return err
		}
	}
	err := c.run(ctx, "initdb", "-D", data, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")
	if err != nil {
		return fmt.Errorf("devdb: initdb: %w", err)
	}
	conf := strings.Join([]string{
		"listen_addresses = ''",
		"unix_socket_directories = '" + c.sockDir + "'",
		"unix_socket_permissions = 0777",
		"max_connections = 400",
		"shared_buffers = 256MB",
		"fsync = on",
		"synchronous_commit = on",
		"timezone = 'UTC'",
		"log_min_messages = warning",
	}, "\n") + "\n"
	f, err := os.OpenFile(filepath.Join(data, "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(conf)
	return err
}

func (c *Cluster) start(ctx context.Context, data string) error {
	if err := os.MkdirAll(c.sockDir, 0o755); err != nil {
		return err
	}
	if err := c.chown(c.sockDir); err != nil {
		return err
	}
	logFile := filepath.Join(c.Dir, "server.log")
	if err := c.run(ctx, "pg_ctl", "-D", data, "-l", logFile, "-w", "-t", "60", "-o", "-k "+c.sockDir, "start"); err != nil {
		return fmt.Errorf("devdb: starting PostgreSQL (see %s): %w", logFile, err)
	}
	return nil
}

func (c *Cluster) running(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return false
	}
	conn.Close(ctx)
	return true
}

func (c *Cluster) createDatabases(ctx context.Context, names []string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("devdb: connecting: %w", err)
	}
	defer conn.Close(ctx)
	for _, name := range names {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == pgerrcode.DuplicateDatabase) {
			return fmt.Errorf("devdb: creating database %s: %w", name, err)
		}
	}
	return nil
}

func (c *Cluster) run(ctx context.Context, tool string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, tool), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", tool, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (c *Cluster) chown(path string) error {
	if c.cred == nil {
		return nil
	}
	return os.Chown(path, int(c.cred.Uid), int(c.cred.Gid))
}

// findBinaries prefers pg_ctl on PATH, then the newest Debian-style
// /usr/lib/postgresql/N/bin.
func findBinaries() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func traversableByOthers(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
