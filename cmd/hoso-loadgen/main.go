// Command hoso-loadgen is the HTTP load benchmark of the API against a
// bare Echo+pgx handler on the same database, in one process (see run
// below and docs/benchmarks.md). It is a command of its own, beside the
// production binary hoso: the product does not ship its benchmark.
//
// Like hoso, it reads HOSO_* variables once, at start (internal/config);
// with HOSO_DATABASE_URL unset it uses the private development cluster
// under ./var, as `make run` does.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/config"
	"github.com/hoso-ledger/hoso/internal/devdb"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/migrations"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/orgs"
)

// loadgenConfig is what hoso-loadgen measures.
type loadgenConfig struct {
	clients  int
	duration time.Duration
	warmup   time.Duration
	phases   []string
	dossiers int    // how many dossier ids the reads and writes spread over
	profile  string // CPU profile of the measured phases (server and clients: one process)
	pool     int    // connections of the service's pool; 0: pgxpool's default, max(4, CPUs)
	block    string // blocking profile (where goroutines wait on locks and channels)
}

var loadgenPhases = []string{"bare", "read", "search", "bare-write", "write", "me"}

// Env is where the benchmark writes.
type Env struct {
	Stdout, Stderr io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run starts the whole service in this process (internal/service, on
// HOSO_DATABASE_URL, with its projections), beside it a bare Echo server
// whose one handler runs one query on the same database, and drives both
// over real HTTP on loopback with N concurrent clients, one phase after the
// other:
//
//	bare        GET /bare/dossiers/{id}: SELECT document FROM dossiers WHERE dossier_id = $1
//	read        GET /api/v1/dossiers/{id}, as an HR officer of the whole province
//	search      GET /api/v1/dossiers?q=<surname>&limit=20
//	bare-write  POST /bare/writes: one INSERT, one commit (the database's durable-commit rate)
//	write       PATCH /api/v1/dossiers/{id} with If-Match (each client its own dossiers)
//	me          GET /api/v1/me: authentication alone (not run by default)
//
// It prints each phase's rate and latency percentiles. The ledger should
// hold a demo province (hoso demo --dossiers 1000); it adds one HR
// account (loadgen.<random>) and, in the write phase, section updates.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	env := &Env{Stdout: stdout, Stderr: stderr}
	fs := flag.NewFlagSet("hoso-loadgen", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var cfg loadgenConfig
	fs.IntVar(&cfg.clients, "clients", 16, "concurrent clients")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "measured time per phase")
	fs.DurationVar(&cfg.warmup, "warmup", 3*time.Second, "unmeasured time before each phase")
	fs.IntVar(&cfg.dossiers, "dossiers", 1000, "how many dossiers the reads and writes spread over")
	fs.IntVar(&cfg.pool, "pool", 0, "connections in the service's pool (0: pgxpool's default, as hoso serve)")
	fs.StringVar(&cfg.block, "blockprofile", "", "write a profile of where goroutines block to this file")
	fs.StringVar(&cfg.profile, "cpuprofile", "", "write a CPU profile of the measured phases to this file")
	phases := fs.String("phases", strings.Join(loadgenPhases[:5], ","), "phases to run, in order: "+strings.Join(loadgenPhases, ", "))
	// Help asked for is an answer: standard output, status 0.
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fs.SetOutput(stdout)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var problems []string
	if fs.NArg() != 0 {
		problems = append(problems, "unexpected arguments: "+strings.Join(fs.Args(), " "))
	}
	if cfg.clients < 1 || cfg.clients > 1024 {
		problems = append(problems, "--clients must be between 1 and 1024")
	}
	if cfg.duration < time.Second {
		problems = append(problems, "--duration must be at least 1s")
	}
	for _, p := range strings.Split(*phases, ",") {
		if !slices.Contains(loadgenPhases, p) {
			problems = append(problems, fmt.Sprintf("unknown phase %q (want %s)", p, strings.Join(loadgenPhases, ", ")))
		}
		cfg.phases = append(cfg.phases, p)
	}
	conf, err := config.Load(getenv, config.NeedPersonalIDKey|config.NeedKEK)
	if err != nil {
		problems = append(problems, strings.Split(err.Error(), "\n")...)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(env.Stderr, "hoso-loadgen:", p)
		}
		return 2
	}
	scfg := service.ConfigFrom(conf)
	if scfg.DatabaseURL == "" {
		if scfg.DatabaseURL, err = devDatabase(ctx); err != nil {
			fmt.Fprintln(env.Stderr, "hoso-loadgen:", err)
			return 1
		}
		// The private cluster's data keys are wrapped by make run's key.
		if scfg.KEK == nil {
			wd, _ := os.Getwd()
			if scfg.KEK, err = service.DevKEK(filepath.Join(wd, "var", "kek.key")); err != nil {
				fmt.Fprintln(env.Stderr, "hoso-loadgen:", err)
				return 1
			}
		}
	}
	if err := loadgen(ctx, env, scfg, cfg); err != nil {
		fmt.Fprintln(env.Stderr, "hoso-loadgen:", err)
		return 1
	}
	return 0
}

// devDatabase is the private development cluster's database under ./var
// (started on demand), where `make run` keeps its demo province.
func devDatabase(ctx context.Context) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	c, err := devdb.Open(filepath.Join(wd, "var"))
	if err != nil {
		return "", err
	}
	if err := c.Ensure(ctx, "hoso"); err != nil {
		return "", err
	}
	return c.URL("hoso"), nil
}

func loadgen(ctx context.Context, env *Env, scfg service.Config, cfg loadgenConfig) error {
	scfg.Listen = "127.0.0.1:0"
	scfg.Registerer = prometheus.NewRegistry()
	if cfg.pool > 0 {
		if err := migrations.Apply(ctx, scfg.DatabaseURL); err != nil {
			return fmt.Errorf("migrating: %w", err)
		}
		pc, err := pgxpool.ParseConfig(scfg.DatabaseURL)
		if err != nil {
			return err
		}
		pc.MaxConns = int32(cfg.pool)
		pool, err := pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return err
		}
		defer pool.Close()
		scfg.Pool = pool
	}
	scfg.Logger = slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := service.Open(ctx, scfg)
	if err != nil {
		return err
	}
	defer svc.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx, func(url string) { ready <- url }) }()
	var apiURL string
	select {
	case apiURL = <-ready:
	case err := <-done:
		return err
	}
	defer func() {
		stop()
		<-done
	}()
	if scfg.NoProjections {
		// HOSO_PROJECTIONS=off: the read models stay as they are (the
		// reads and searches then see what an earlier run left).
		fmt.Fprintf(env.Stdout, "hoso-loadgen: service on %s, projections off\n", apiURL)
	} else {
		fmt.Fprintf(env.Stdout, "hoso-loadgen: service on %s; waiting for the read models to catch up…\n", apiURL)
		began := time.Now()
		waitCtx, cancel := context.WithTimeout(ctx, 15*time.Minute)
		err = svc.WaitCaughtUp(waitCtx)
		cancel()
		if err != nil {
			return fmt.Errorf("waiting for the projections: %w", err)
		}
		fmt.Fprintf(env.Stdout, "hoso-loadgen: caught up in %s\n", time.Since(began).Round(time.Millisecond))
	}

	ids, err := activeDossiers(ctx, svc.Pool, cfg.dossiers)
	if err != nil {
		return err
	}
	if len(ids) < cfg.clients {
		return fmt.Errorf("the ledger has %d active dossiers, fewer than --clients: run hoso demo --dossiers 1000 first", len(ids))
	}
	bare, err := startBare(svc.Pool)
	if err != nil {
		return err
	}
	defer bare.Close()

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: cfg.clients * 2, MaxIdleConnsPerHost: cfg.clients * 2, IdleConnTimeout: time.Minute,
	}}
	token, err := loadgenLogin(ctx, svc, client, apiURL)
	if err != nil {
		return err
	}

	if cfg.profile != "" {
		f, err := os.Create(cfg.profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if cfg.block != "" {
		runtime.SetBlockProfileRate(int(time.Millisecond))
		defer func() {
			f, err := os.Create(cfg.block)
			if err == nil {
				_ = pprof.Lookup("block").WriteTo(f, 0)
				_ = f.Close()
			}
		}()
	}
	w := env.Stdout
	const row = "%-10s %9s %7s %8s %8s %8s %8s %8s\n"
	fmt.Fprintf(env.Stdout, "hoso-loadgen: %d clients, %s per phase (after %s warm-up), %d dossiers, service pool of %d connections; load average before: %s\n",
		cfg.clients, cfg.duration, cfg.warmup, len(ids), svc.Pool.Config().MaxConns, loadavg())
	fmt.Fprintf(w, row, "phase", "requests", "errors", "rate/s", "p50 ms", "p95 ms", "p99 ms", "max ms")
	rates := map[string]float64{}
	for _, p := range cfg.phases {
		var do func(c *loadClient) (int, error)
		switch p {
		case "bare":
			do = func(c *loadClient) (int, error) {
				return c.get("http://"+bare.Addr+"/bare/dossiers/"+c.pick(ids).String(), "")
			}
		case "read":
			do = func(c *loadClient) (int, error) {
				return c.get(apiURL+"/api/v1/dossiers/"+c.pick(ids).String(), token)
			}
		case "me":
			do = func(c *loadClient) (int, error) { return c.get(apiURL+"/api/v1/me", token) }
		case "search":
			do = func(c *loadClient) (int, error) {
				return c.get(apiURL+"/api/v1/dossiers?limit=20&q="+surnames[c.rnd.IntN(len(surnames))], token)
			}
		case "bare-write":
			do = func(c *loadClient) (int, error) {
				req, _ := http.NewRequest(http.MethodPost, "http://"+bare.Addr+"/bare/writes", nil)
				return c.send(req, nil)
			}
		case "write":
			do = func(c *loadClient) (int, error) { return c.write(apiURL, token) }
		}
		res := runPhase(ctx, cfg, client, ids, do)
		rates[p] = res.rate
		fmt.Fprintf(w, row, p, fmt.Sprint(res.n), fmt.Sprint(res.errors), fmt.Sprintf("%.0f", res.rate),
			fmt.Sprintf("%.1f", ms(res.p(0.50))), fmt.Sprintf("%.1f", ms(res.p(0.95))), fmt.Sprintf("%.1f", ms(res.p(0.99))), fmt.Sprintf("%.1f", ms(res.p(1))))
		if res.firstErr != "" {
			fmt.Fprintf(env.Stdout, "  %s: first error: %s\n", p, res.firstErr)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "load average after: %s\n", loadavg())
	if b := rates["bare"]; b > 0 {
		for _, p := range []string{"read", "search"} {
			if r, ok := rates[p]; ok {
				fmt.Fprintf(env.Stdout, "%s / bare = %.0f%%\n", p, 100*r/b)
			}
		}
	}
	if b, r := rates["bare-write"], rates["write"]; b > 0 && r > 0 {
		fmt.Fprintf(env.Stdout, "write / bare-write = %.0f%%\n", 100*r/b)
	}
	return nil
}

// surnames are what people type into the search box, without diacritics.
var surnames = []string{"nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do", "ho", "ngo", "duong", "ly"}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// activeDossiers are up to n dossiers in service and managed in the
// province, in a fixed order, from the dossier read model.
func activeDossiers(ctx context.Context, pool *pgxpool.Pool, n int) ([]domain.DossierID, error) {
	rows, err := pool.Query(ctx, `SELECT dossier_id FROM `+dossiers.ViewDossiers+`
		WHERE status = 'active' AND NOT archived AND NOT management_revoked ORDER BY dossier_id LIMIT $1`, n)
	if err != nil {
		return nil, fmt.Errorf("listing dossiers: %w", err)
	}
	raw, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("listing dossiers: %w", err)
	}
	out := make([]domain.DossierID, len(raw))
	for i, id := range raw {
		out[i] = domain.DossierID(id)
	}
	return out, nil
}

// bareServer is the baseline: Echo and pgx, one handler, one query, the
// stored document written as is. No authentication, authorization, read
// log or ledger: what a read costs when it costs nothing but the query.
type bareServer struct {
	Addr string
	e    *echo.Echo
}

func startBare(pool *pgxpool.Pool) (*bareServer, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/bare/dossiers/:id", func(c echo.Context) error {
		id, err := uuid.Parse(c.Param("id"))
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest)
		}
		var doc []byte
		err = pool.QueryRow(c.Request().Context(), `SELECT document FROM `+dossiers.ViewDossiers+` WHERE dossier_id = $1`, id).Scan(&doc)
		if errors.Is(err, pgx.ErrNoRows) {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		if err != nil {
			return err
		}
		return c.JSONBlob(http.StatusOK, doc)
	})
	// The write baseline: one row, one durable commit, in a table of its own.
	if _, err := pool.Exec(context.Background(), `CREATE TABLE IF NOT EXISTS loadgen_bare_writes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL)`); err != nil {
		return nil, fmt.Errorf("bare writes table: %w", err)
	}
	e.POST("/bare/writes", func(c echo.Context) error {
		if _, err := pool.Exec(c.Request().Context(), `INSERT INTO loadgen_bare_writes (at) VALUES (now())`); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.Listener = ln
	go func() { _ = e.Start("") }()
	return &bareServer{Addr: ln.Addr().String(), e: e}, nil
}

func (b *bareServer) Close() { _ = b.e.Close() }

// loadgenLogin creates an HR officer over every root org (through the app
// service, as `hoso accounts` would) and logs it in over HTTP.
func loadgenLogin(ctx context.Context, svc *service.Service, client *http.Client, apiURL string) (string, error) {
	rows, err := svc.Pool.Query(ctx, `SELECT org_id FROM `+orgs.OrgsView+` WHERE parent IS NULL AND status = 'active'`)
	if err != nil {
		return "", fmt.Errorf("listing root orgs: %w", err)
	}
	roots, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil || len(roots) == 0 {
		return "", fmt.Errorf("no root org (run hoso demo first): %v", err)
	}
	now := time.Now().UTC()
	today := domain.DateOf(now)
	meta := func() domain.Meta {
		return domain.Meta{
			Actor:         domain.Actor{Account: domain.AccountID(uuid.MustParse("00000000-0000-7000-8000-00000000100a")), Name: "hoso loadgen"},
			RecordedAt:    time.Now().UTC(),
			EffectiveDate: today,
			Source:        domain.SourceDocument{Kind: "decision", Number: "1/QĐ-LOADGEN", Date: today, Issuer: "hoso loadgen"},
			RequestID:     uuid.NewString(),
		}
	}
	id := domain.AccountID(uuid.Must(uuid.NewV7()))
	username := fmt.Sprintf("loadgen.%d", rand.IntN(1_000_000))
	password := uuid.NewString()
	accts := svc.Deps.Accounts
	res, err := accts.Create(ctx, id, account.CreateAccount{Kind: account.KindOrg, Username: username, DisplayName: "hoso loadgen",
		HomeOrg: domain.OrgID(roots[0])}, meta())
	if err != nil {
		return "", fmt.Errorf("creating the loadgen account: %w", err)
	}
	version := res.LastVersion
	for _, root := range roots {
		r, err := accts.Grant(ctx, id, version, account.NewGrant{ID: uuid.Must(uuid.NewV7()), Role: account.RoleHROfficer, Org: domain.OrgID(root)}, meta())
		if err != nil {
			return "", fmt.Errorf("granting the loadgen account: %w", err)
		}
		version = r.LastVersion
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", err
	}
	if err := svc.Deps.Auth.SetPassword(ctx, uuid.UUID(id), account.NormalizeUsername(username), hash); err != nil {
		return "", err
	}
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := client.Post(apiURL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Token == "" {
		return "", fmt.Errorf("logging in as %s: %d %v", username, resp.StatusCode, err)
	}
	return out.Token, nil
}

// loadClient is one concurrent client: its own random source and, for
// writes, its own dossiers and the ETags it last read.
type loadClient struct {
	http  *http.Client
	rnd   *rand.Rand
	mine  []domain.DossierID
	etags map[domain.DossierID]string
	n     int
}

func (c *loadClient) pick(ids []domain.DossierID) domain.DossierID { return ids[c.rnd.IntN(len(ids))] }

// get sends a GET and reads the answer whole; any status but 200 is an error.
func (c *loadClient) get(url, token string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Purpose", "hoso loadgen")
	}
	return c.send(req, nil)
}

func (c *loadClient) send(req *http.Request, etag *string) (int, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, err
	}
	if etag != nil {
		*etag = resp.Header.Get("ETag")
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// writeSet is how many dossiers each client writes to in turn: few enough
// that the warm-up reads their ETags, so that a measured write is one
// PATCH, not a GET and a PATCH.
const writeSet = 8

// write updates a section of one of the client's dossiers with the ETag it
// last saw (reading it first when it has none), as an HR client would.
func (c *loadClient) write(apiURL, token string) (int, error) {
	id := c.mine[c.n%min(writeSet, len(c.mine))]
	c.n++
	etag := c.etags[id]
	if etag == "" {
		req, _ := http.NewRequest(http.MethodGet, apiURL+"/api/v1/dossiers/"+id.String(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if _, err := c.send(req, &etag); err != nil {
			return 0, err
		}
	}
	body, _ := json.Marshal(map[string]any{
		"patch":           map[string]any{"other": map[string]any{"notes": fmt.Sprintf("loadgen write %d", c.n)}},
		"reason":          "hoso loadgen",
		"source_document": map[string]any{"kind": "decision", "number": fmt.Sprintf("%d/QĐ-LOADGEN", c.n), "date": domain.DateOf(time.Now()).String(), "issuer": "hoso loadgen"},
	})
	req, _ := http.NewRequest(http.MethodPatch, apiURL+"/api/v1/dossiers/"+id.String(), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", etag)
	var next string
	status, err := c.send(req, &next)
	if err != nil {
		c.etags[id] = "" // read again before the next write
		return status, err
	}
	c.etags[id] = next
	return status, nil
}

type phaseResult struct {
	n, errors int
	rate      float64
	latencies []time.Duration // sorted
	firstErr  string
}

func (r phaseResult) p(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.latencies))+0.5) - 1
	return r.latencies[max(0, min(i, len(r.latencies)-1))]
}

// runPhase runs do from every client for warm-up plus duration and
// measures the requests that started after the warm-up.
func runPhase(ctx context.Context, cfg loadgenConfig, client *http.Client, ids []domain.DossierID, do func(*loadClient) (int, error)) phaseResult {
	start := time.Now()
	measureFrom := start.Add(cfg.warmup)
	end := measureFrom.Add(cfg.duration)
	var (
		mu  sync.Mutex
		res phaseResult
		wg  sync.WaitGroup
	)
	for i := range cfg.clients {
		c := &loadClient{http: client, rnd: rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano()))), etags: map[domain.DossierID]string{}}
		for j := i; j < len(ids); j += cfg.clients {
			c.mine = append(c.mine, ids[j])
		}
		wg.Go(func() {
			var lat []time.Duration
			errs, first := 0, ""
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				_, err := do(c)
				if t0.Before(measureFrom) {
					continue
				}
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.errors += errs
			if res.firstErr == "" {
				res.firstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(res.latencies)
	res.n = len(res.latencies)
	res.rate = float64(res.n) / cfg.duration.Seconds()
	return res
}
