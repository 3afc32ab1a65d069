package outage_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	domoutage "github.com/hoso-ledger/hoso/domain/outage"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/internal/smtptest"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/processes/outage"
)

var (
	orgA = uuid.MustParse("01890000-0000-7000-8000-0000000000a1")
	orgB = uuid.MustParse("01890000-0000-7000-8000-0000000000b2")
)

// clock is the injected time every Recorder and Detector of a test reads.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func ict(m time.Month, d, h, min int) time.Time {
	return time.Date(2026, m, d, h, min, 0, 0, domain.VietnamZone)
}

type world struct {
	pool  *pgxpool.Pool
	store eventstore.Store
	clk   *clock
}

func newWorld(t *testing.T) *world {
	t.Helper()
	pool, _ := pgtest.New(t)
	return &world{pool: pool, store: postgres.New(pool, postgres.Options{}), clk: &clock{}}
}

func (w *world) recorder(instance string, probes map[string]outage.Probe) *outage.Recorder {
	return &outage.Recorder{Pool: w.pool, Instance: instance, Probes: probes, Interval: 10 * time.Second, Now: w.clk.now}
}

func (w *world) detector(m outage.Mailer) *outage.Detector {
	return &outage.Detector{
		Pool: w.pool, Ledger: ledger.Ledger{Store: w.store}, Calendar: calendar.Official(),
		Orgs:      func(context.Context) ([]uuid.UUID, error) { return []uuid.UUID{orgB, orgA}, nil },
		Mailer:    m,
		Addresses: func(o uuid.UUID) []string { return map[uuid.UUID][]string{orgA: {"vanthu@noivu.binhtan.gov.vn"}}[o] },
		OrgName: func(_ context.Context, o uuid.UUID) string {
			return map[uuid.UUID]string{orgA: "Phòng Nội vụ quận Bình Tân"}[o]
		},
		Grace: outage.GraceFor(10 * time.Second),
		Now:   w.clk.now,
	}
}

// stream is the outage's events as stored.
func (w *world) stream(t *testing.T, id uuid.UUID) []eventstore.Event {
	t.Helper()
	evs, err := w.store.ReadStream(context.Background(), domoutage.Stream(id), eventstore.ReadOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrNotFound) {
		t.Fatal(err)
	}
	return evs
}

// beat reports n times, one interval apart, the clock moving with them.
func beat(t *testing.T, w *world, r *outage.Recorder, n int) {
	t.Helper()
	for range n {
		if err := r.Report(context.Background()); err != nil {
			t.Fatal(err)
		}
		w.clk.add(10 * time.Second)
	}
}

// TestNoticeAfterTwoWorkingDays walks an outage of the API that starts on
// Wednesday 29 April 2026 before the 30/4 and 1/5 holidays and a weekend:
// the notice is due at Wednesday 6 May 00:00 (Monday and Tuesday are the
// two whole working days), is appended once and mailed once, through a
// detector restarted in between, and the end is appended once when a new
// process reports the API up again.
func TestNoticeAfterTwoWorkingDays(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	box := smtptest.Start(t)
	ctx := context.Background()
	mailer := outage.SMTP{URL: &url.URL{Scheme: "smtp", Host: box.Addr}, From: "hoso@binhtan.gov.vn"}

	w.clk.set(ict(4, 29, 9, 58))
	first := w.recorder("host-1/100", map[string]outage.Probe{domoutage.FunctionAPI: nil})
	beat(t, w, first, 13) // up to 10:00:00, then the process is killed
	lastBeat := w.clk.now().Add(-10 * time.Second)
	start := lastBeat.Add(outage.GraceFor(10 * time.Second))
	id := domoutage.ID(domoutage.FunctionAPI, start)

	for _, step := range []struct {
		at   time.Time
		days int
	}{
		{ict(4, 29, 17, 0), 0}, // the same afternoon
		{ict(5, 1, 12, 0), 0},  // holidays
		{ict(5, 3, 23, 59), 0}, // the weekend
		{ict(5, 5, 0, 1), 1},   // Monday done
		{ict(5, 5, 23, 59), 1}, // Tuesday not quite
	} {
		w.clk.set(step.at)
		got, err := w.detector(mailer).Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != id || !got[0].Ongoing() || got[0].WorkingDays != step.days || got[0].Notified {
			t.Fatalf("at %s: %+v, want one ongoing outage %s of %d working days, not notified", step.at, got, id, step.days)
		}
		if evs := w.stream(t, id); len(evs) != 0 {
			t.Fatalf("at %s: %d events before the notice is due", step.at, len(evs))
		}
	}

	// Wednesday 00:00: due. Three detectors (one restarted, two at once).
	w.clk.set(ict(5, 6, 0, 0))
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { _, errs[i] = w.detector(mailer).Check(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	w.clk.add(time.Minute)
	got, err := w.detector(mailer).Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Notified || got[0].WorkingDays != 2 || len(got[0].Appended) != 0 {
		t.Fatalf("after the notice: %+v", got)
	}
	evs := w.stream(t, id)
	if len(evs) != 1 || evs[0].Type != domoutage.TypeNotified || evs[0].ID != ledger.DerivedID(id, domoutage.TypeNotified) {
		t.Fatalf("stream %s: %+v, want the notice once", domoutage.Stream(id), evs)
	}
	rec, err := ledger.Recorded(evs[0], domoutage.Decode)
	if err != nil {
		t.Fatal(err)
	}
	n := rec.Event.(domoutage.Notified)
	if !n.StartedAt.Equal(start) || n.WorkingDays != 2 || !slices.Equal(n.Orgs, []uuid.UUID{orgA, orgB}) || n.Function != domoutage.FunctionAPI {
		t.Errorf("notice = %+v", n)
	}
	if rec.Meta.Actor.Name != outage.Actor.Name || !rec.Meta.RecordedAt.Equal(ict(5, 6, 0, 0)) || rec.Meta.Reason != domoutage.Basis {
		t.Errorf("envelope = %+v", rec.Meta)
	}

	msgs := box.Received()
	if len(msgs) != 1 {
		t.Fatalf("%d e-mails, want one (orgA has an address, orgB none)", len(msgs))
	}
	m := msgs[0]
	if m.From != "hoso@binhtan.gov.vn" || !slices.Equal(m.To, []string{"vanthu@noivu.binhtan.gov.vn"}) {
		t.Errorf("envelope from %q to %q", m.From, m.To)
	}
	for _, want := range []string{"Kính gửi: Phòng Nội vụ quận Bình Tân", "29/04/2026 10:00", "2 ngày làm việc liên tiếp",
		"khoản 7 Điều 14", "Message-ID: <" + id.String() + "." + orgA.String() + "@hoso>", "Subject: =?utf-8?q?"} {
		if !strings.Contains(m.Data, want) {
			t.Errorf("e-mail lacks %q:\n%s", want, m.Data)
		}
	}

	// A new process reports the API up again on Wednesday 09:00.
	w.clk.set(ict(5, 6, 9, 0))
	beat(t, w, w.recorder("host-1/200", map[string]outage.Probe{domoutage.FunctionAPI: nil}), 2)
	for range 2 {
		got, err = w.detector(mailer).Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || got[0].Ongoing() || !got[0].End.Equal(ict(5, 6, 9, 0)) || !got[0].Ended {
		t.Fatalf("after the return: %+v", got)
	}
	evs = w.stream(t, id)
	if len(evs) != 2 || evs[1].Type != domoutage.TypeEnded {
		t.Fatalf("stream: %d events, want the notice and the end", len(evs))
	}
	if n := len(box.Received()); n != 1 {
		t.Errorf("%d e-mails after the end, want still one", n)
	}
}

// TestNoticeAfterTheFact: the whole of hoso was down over a weekend and
// two working days, no detector ran; the first check after the return
// appends one notice carrying the end, and nothing more.
func TestNoticeAfterTheFact(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.clk.set(ict(5, 8, 16, 0)) // Friday
	beat(t, w, w.recorder("a", map[string]outage.Probe{domoutage.FunctionProjections: nil}), 3)
	w.clk.set(ict(5, 13, 8, 0)) // Wednesday: Monday and Tuesday lost
	beat(t, w, w.recorder("b", map[string]outage.Probe{domoutage.FunctionProjections: nil}), 3)
	for range 2 {
		if _, err := w.detector(nil).Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, err := w.detector(nil).Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].WorkingDays != 2 || got[0].Ongoing() || !got[0].Notified || !got[0].Ended {
		t.Fatalf("%+v", got)
	}
	evs := w.stream(t, got[0].ID)
	if len(evs) != 1 {
		t.Fatalf("%d events, want one notice with its end", len(evs))
	}
	rec, err := ledger.Recorded(evs[0], domoutage.Decode)
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.Event.(domoutage.Notified); !n.EndedAt.Equal(ict(5, 13, 8, 0)) {
		t.Errorf("notice after the fact ends %s", n.EndedAt)
	}
}

// TestMailResumes: the SMTP server is down when the notice is appended;
// the detector restarted later sends the e-mail, once.
func TestMailResumes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there now: connection refused
	w.clk.set(ict(5, 8, 16, 0))
	beat(t, w, w.recorder("a", map[string]outage.Probe{domoutage.FunctionSync: nil}), 1)
	w.clk.set(ict(5, 13, 0, 5))
	_, err = w.detector(outage.SMTP{URL: &url.URL{Scheme: "smtp", Host: deadAddr}, From: "hoso@x.vn"}).Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "mail") {
		t.Fatalf("err = %v, want the mail's failure", err)
	}
	var attempts int
	var lastErr *string
	if err := w.pool.QueryRow(ctx, `SELECT attempts, last_error FROM outage_mail WHERE org_id = $1`, orgA).Scan(&attempts, &lastErr); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || lastErr == nil {
		t.Errorf("attempts %d, last error %v", attempts, lastErr)
	}
	box := smtptest.Start(t)
	live := outage.SMTP{URL: &url.URL{Scheme: "smtp", Host: box.Addr}, From: "hoso@x.vn"}
	for range 2 {
		w.clk.add(time.Minute)
		if _, err := w.detector(live).Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(box.Received()); n != 1 {
		t.Errorf("%d e-mails, want one", n)
	}
	if got, _ := w.detector(nil).Check(ctx); len(got) != 1 || len(w.stream(t, got[0].ID)) != 1 {
		t.Errorf("the notice must stay one event")
	}
}

// TestRecorder: stretches are extended in place, a probe's failure is a
// "down" stretch, a report too late starts a new stretch, and the time the
// database was unreachable is written when it returns.
func TestRecorder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	var failing atomic.Bool
	r := w.recorder("p", map[string]outage.Probe{
		domoutage.FunctionAPI: nil,
		domoutage.FunctionProjections: func(context.Context) error {
			if failing.Load() {
				return errors.New("projection dossiers failed: boom")
			}
			return nil
		},
	})
	w.clk.set(ict(5, 4, 8, 0))
	beat(t, w, r, 100) // 1000 s of reports: two rows, not two hundred
	failing.Store(true)
	beat(t, w, r, 3)
	failing.Store(false)
	beat(t, w, r, 1)
	w.clk.add(time.Minute) // a stall longer than the grace
	beat(t, w, r, 1)

	// The database goes away: a pool on a port where nothing listens.
	good := r.Pool
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	gone := l.Addr().String()
	l.Close()
	bad, err := pgxpool.New(ctx, "postgres://hoso@"+gone+"/x?connect_timeout=2&sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	r.Pool = bad
	unreachableFrom := w.clk.now()
	for range 3 {
		if err := r.Report(ctx); err == nil {
			t.Fatal("a report into no database succeeded")
		}
		w.clk.add(10 * time.Second)
	}
	unreachableTo := w.clk.now().Add(-10 * time.Second)
	r.Pool = good
	beat(t, w, r, 2)

	hist, err := outage.History(ctx, w.pool, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		f, state string
		since    time.Time
		detail   string
	}
	var got []row
	for _, h := range hist {
		got = append(got, row{h.Function, h.State, h.Since, h.Detail})
	}
	t0 := ict(5, 4, 8, 0).UTC()
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	want := []row{
		{"api", "up", sec(0), ""},
		{"projections", "up", sec(0), ""},
		{"projections", "down", sec(1000), "projection dossiers failed: boom"},
		{"projections", "up", sec(1030), ""},
		{"api", "up", sec(1100), ""}, // after the stall
		{"projections", "up", sec(1100), ""},
		{"api", "down", unreachableFrom, "database unreachable"},
		{"projections", "down", unreachableFrom, "database unreachable"},
		{"api", "up", sec(1140), ""},
		{"projections", "up", sec(1140), ""},
	}
	if len(got) != len(want) {
		t.Fatalf("history:\n%+v\nwant\n%+v", got, want)
	}
	for i := range want {
		g := got[i]
		if g.f != want[i].f || g.state != want[i].state || !g.since.Equal(want[i].since) || !strings.HasPrefix(g.detail, want[i].detail) {
			t.Errorf("row %d = %+v, want %+v", i, g, want[i])
		}
	}
	for _, h := range hist {
		if h.State == "down" && strings.HasPrefix(h.Detail, "database unreachable") && !h.LastSeen.Equal(unreachableTo) {
			t.Errorf("unreachable until %s, want %s", h.LastSeen, unreachableTo)
		}
	}
	out, err := outage.Outages(ctx, w.pool, calendar.Official(), outage.GraceFor(10*time.Second), w.clk.now())
	if err != nil {
		t.Fatal(err)
	}
	// The stall (60 s > 30 s grace) and the unreachable database (from its
	// first failed report) are outages of both functions; the probe's
	// failure is one of projections alone, from its first "down" report.
	var fs []string
	for _, o := range out {
		fs = append(fs, o.Function+"@"+o.Start.Sub(t0).String())
	}
	wantOut := []string{"api@17m40s", "api@18m30s", "projections@16m40s", "projections@17m40s", "projections@18m30s"}
	if !slices.Equal(fs, wantOut) {
		t.Errorf("outages %v, want %v", fs, wantOut)
	}
}
