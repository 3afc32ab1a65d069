package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	domoutage "github.com/hoso-ledger/hoso/domain/outage"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/internal/smtptest"
	"github.com/hoso-ledger/hoso/processes/outage"
	"github.com/hoso-ledger/hoso/projections/orgs"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// outageState is what the ledger and the mail table hold of the outages.
func outageState(t *testing.T, pool *pgxpool.Pool) (notices, mails, sent int) {
	t.Helper()
	err := pool.QueryRow(context.Background(), `SELECT
  (SELECT count(*) FROM events WHERE type = $1),
  (SELECT count(*) FROM outage_mail),
  (SELECT count(*) FROM outage_mail WHERE sent_at IS NOT NULL)`, domoutage.TypeNotified).Scan(&notices, &mails, &sent)
	if err != nil {
		t.Fatal(err)
	}
	return notices, mails, sent
}

// childOutput is a child process's output, read by the test while the
// process still writes it.
type childOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *childOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *childOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor polls cond, failing the test (and killing child) after two
// minutes: a deadline for a stuck process, not a timed assertion.
func waitFor(t *testing.T, child *exec.Cmd, out *childOutput, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = child.Process.Kill()
			t.Fatalf("%s did not happen in 2 minutes:\n%s", what, out.String())
		}
	}
}

// TestOutagesWatchKilledAndRestarted: the API stopped reporting a month
// ago. A `hoso outages watch` process records the notice and is killed
// (SIGKILL) while its mail server hangs mid-conversation; a second one
// started after it sends the e-mail, once; `hoso outages check` then
// finds nothing left to do, and `hoso outages` shows the outage noticed.
func TestOutagesWatchKilledAndRestarted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, url := pgtest.New(t)
	orgID := importOrg(t, pool)
	// The detector notifies the orgs of the orgs read model. A catch-up
	// reads the log's stable prefix, which other tests' open transactions
	// on the same cluster can hold back: catch up until the org is there,
	// or the child's first checks find no org to notify.
	for deadline := time.Now().Add(time.Minute); ; {
		projectiontest.CatchUp(t, pool, postgres.New(pool, postgres.Options{}), time.Minute, orgs.New())
		active, err := service.ActiveOrgs(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(active, uuid.MustParse(orgID)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the org is not in the orgs read model after a minute: %v", active)
		}
		time.Sleep(100 * time.Millisecond)
	}
	monthAgo := time.Now().Add(-30 * 24 * time.Hour).UTC()
	old := &outage.Recorder{Pool: pool, Instance: "old/1", Probes: map[string]outage.Probe{domoutage.FunctionAPI: nil},
		Now: func() time.Time { return monthAgo }}
	if err := old.Report(ctx); err != nil {
		t.Fatal(err)
	}

	watch := func(smtpAddr string) (*exec.Cmd, *childOutput) {
		child := exec.Command(os.Args[0], "outages", "watch")
		child.Env = append(os.Environ(), childEnv+"=1", "HOSO_DATABASE_URL="+url,
			"HOSO_SMTP_URL=smtp://"+smtpAddr, "HOSO_SMTP_FROM=hoso@binhtan.gov.vn", "HOSO_SMTP_TO="+orgID+"=vanthu@noivu.vn")
		out := &childOutput{}
		child.Stdout, child.Stderr = out, out
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		return child, out
	}

	first, out := watch(smtptest.Silent(t))
	waitFor(t, first, out, "the notice and its pending e-mail", func() bool {
		n, m, _ := outageState(t, pool)
		return n == 1 && m == 1
	})
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	if n, m, s := outageState(t, pool); n != 1 || m != 1 || s != 0 {
		t.Fatalf("after the kill: %d notices, %d e-mails, %d sent; want 1, 1, 0 (the kill came too late)", n, m, s)
	}

	box := smtptest.Start(t)
	second, out := watch(box.Addr)
	// Stopped once the e-mail is marked sent: a kill between the server's
	// acceptance and the mark would send it again (the documented window).
	waitFor(t, second, out, "the e-mail", func() bool {
		_, _, sent := outageState(t, pool)
		return sent == 1
	})
	if err := second.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = second.Wait()
	msg := box.Received()[0]
	if len(msg.To) != 1 || msg.To[0] != "vanthu@noivu.vn" || !strings.Contains(msg.Data, "Kính gửi: Sở Y tế tỉnh Phú Thọ") {
		t.Errorf("e-mail: %+v", msg)
	}

	getenv := func(k string) string {
		return map[string]string{"HOSO_DATABASE_URL": url, "HOSO_SMTP_URL": "smtp://" + box.Addr,
			"HOSO_SMTP_FROM": "hoso@binhtan.gov.vn", "HOSO_SMTP_TO": "*=cntt@binhtan.gov.vn"}[k]
	}
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"outages", "check"}, getenv, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("hoso outages check = %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if n, m, s := outageState(t, pool); n != 1 || m != 1 || s != 1 || len(box.Received()) != 1 {
		t.Errorf("after the check: %d notices, %d e-mails (%d sent), %d received; want one of each", n, m, s, len(box.Received()))
	}
	code, list, errOut := runHoso(t, url, "outages")
	if code != 0 || !strings.Contains(list, "api") || !strings.Contains(list, "ongoing") || !strings.Contains(list, "true") {
		t.Errorf("hoso outages = %d\n%s%s", code, list, errOut)
	}
	if code, _, errOut := runHoso(t, url, "outages", "nonsense"); code != 2 || !strings.Contains(errOut, "usage: hoso outages") {
		t.Errorf("hoso outages nonsense = %d, %s", code, errOut)
	}
}
