package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
)

// TestSyncStatusCommand: `hoso sync status` lists the packages of the
// syncstatus read model, flags the overdue and rejected ones with the
// receiver's reasons, and refuses bad flags with status 2.
func TestSyncStatusCommand(t *testing.T) {
	pool, url := pgtest.New(t)
	l := projectiontest.NewLedger(t)
	unit, doh := domain.OrgID(uuid.Must(uuid.NewV7())), domain.OrgID(uuid.Must(uuid.NewV7()))
	day := domain.MustDate(2026, 11, 27)
	m := domain.Meta{Actor: domain.Actor{Account: domain.AccountID(uuid.Must(uuid.NewV7())), Name: "hoso"}, RecordedAt: projectiontest.At(day), EffectiveDate: day}
	for i, reasons := range [][]string{nil, {"level 1: dossier-x@1: edited"}} {
		id := uuid.Must(uuid.NewV7())
		evs := []domain.Event{nationalsync.Queued{Package: id, Org: unit, Month: "2026-11", Department: doh, Supplement: i,
			ApprovedAt: m.RecordedAt, Due: day.AddDays(3), Article: "NĐ 27/2026"},
			nationalsync.Sent{Package: id, Digest: "ab", Attempt: 1}}
		if reasons != nil {
			evs = append(evs, nationalsync.Rejected{Package: id, Digest: "ab", Status: 422, Reasons: reasons})
		}
		l.Append(nationalsync.StreamID(id), eventstore.NoStream, m, evs)
	}
	projectiontest.Build(t, pool, syncstatus.New(), 1, l.Events(), 1)

	code, out, errOut := runHoso(t, url, "sync", "status", "--org", unit.String())
	if code != 0 || strings.Count(out, "2026-11") != 2 || !strings.Contains(out, "OVERDUE") || !strings.Contains(out, "REJECTED: level 1: dossier-x@1: edited") ||
		!strings.Contains(out, "(bổ sung 1)") || !strings.Contains(out, day.AddDays(3).Vietnamese()) {
		t.Fatalf("sync status = %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runHoso(t, url, "sync", "status", "--month", "2026-10"); code != 0 || !strings.Contains(out, "no packages") {
		t.Errorf("another month: %d %s", code, out)
	}
	for _, args := range [][]string{{"sync"}, {"sync", "list"}, {"sync", "status", "--month", "11/2026"}, {"sync", "status", "--org", "x"}, {"sync", "status", "extra"}} {
		if code, _, _ := runHoso(t, url, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestReceiverFlags: the receiver names every missing flag at once.
func TestReceiverFlags(t *testing.T) {
	t.Parallel()
	code, _, errOut := runHoso(t, "", "receiver", "--tls-key", "k.pem")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"--dir", "--sync-key", "--checkpoint-key", "--roots", "--key", "--tls-cert and --tls-key"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the problems do not name %s:\n%s", want, errOut)
		}
	}
}

// TestReceiverServes: `hoso receiver` listens, refuses a package that is
// none (422 naming why) and a missing token (401), and stops on interrupt.
func TestReceiverServes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pub := func(name string) string { // LoadOrCreateKey writes NAME.pub beside the key
		if _, err := checkpoint.LoadOrCreateKey(filepath.Join(dir, name), "hoso.test/"+name); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, name+".pub")
	}
	syncPub, cpPub := pub("sync.key"), pub("checkpoint.key")
	ca := certtest.NewCA(t, "Receiver Test Root")
	roots := filepath.Join(dir, "roots.pem")
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(roots, []byte(ca.PEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(token, []byte("bí-mật\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, stop := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"receiver", "--listen", addr, "--dir", filepath.Join(dir, "national"), "--sync-key", syncPub,
			"--checkpoint-key", cpPub, "--roots", roots, "--key", filepath.Join(dir, "receiver.key"), "--token-file", token},
			func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	}()
	post := func(auth string) (int, string) {
		for range 100 {
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/packages", strings.NewReader(`{"format":"hoso-sync-envelope/v1"}`))
			if auth != "" {
				req.Header.Set("Authorization", "Bearer "+auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		t.Fatalf("the receiver did not answer: %s", errOut.String())
		return 0, ""
	}
	if code, body := post("bí-mật"); code != http.StatusUnprocessableEntity || !strings.Contains(body, "not a sync envelope") {
		t.Errorf("garbage: %d %s", code, body)
	}
	if code, _ := post(""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	stop()
	if code := <-done; code != 0 || !strings.Contains(out.String(), "listening on http://"+addr) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}
