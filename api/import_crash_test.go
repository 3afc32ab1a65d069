package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/eventstore/verify"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// TestImportThroughTheAPISurvivesPostgresCrash: PostgreSQL itself is
// killed with SIGKILL half-way through an import started by POST
// /imports, and started again. The import's status says it was
// interrupted and to upload the same file again; the same file uploaded
// again finishes with exactly one dossier per person and every row's event
// once, nothing committed before the crash is lost, and the ledger
// verifies. It runs a private cluster of its own, since it kills it.
func TestImportThroughTheAPISurvivesPostgresCrash(t *testing.T) {
	t.Parallel()
	cluster := pgtest.CrashableCluster(t, "importcrash")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env := apitest.Start(t, apitest.Options{DatabaseURL: cluster.URL("importcrash")})
	org := env.Org("Sở Y tế tỉnh Sập Máy", "SYT-SM", domain.OrgID{})
	hr := env.Session(env.Account("tccb.sapmay", "", account.KindOrg, account.RoleHROfficer, org))
	// Eight batches of the importer's 250 people, four written at once: the
	// first commit is the crash's signal, and the batches still to come
	// leave work for the crash to interrupt however fast the machine (300
	// people were two batches, both committed between two polls under load).
	const people = 2000
	body, ct := importUpload(t, org, domain.DateOf(time.Now()).String(), people, 0, nil, nil)
	before := env.EventCount()
	events := func() int { // -1 while the server is down
		n, err := env.Svc.EventCount(ctx)
		if err != nil {
			return -1
		}
		return int(n)
	}

	r := env.Do(http.MethodPost, "/api/v1/imports", hr, body, "Content-Type", ct)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST /imports = %d %s", r.Status, r.Body)
	}
	first := r.Header.Get("Location")
	committed := 0
	// A batch committed holds at least a creation and a personal-ID claim
	// per person; the import's own bookkeeping writes a few events before.
	for deadline := time.Now().Add(2 * time.Minute); committed < before+2*250; time.Sleep(10 * time.Millisecond) {
		committed = events()
		if time.Now().After(deadline) {
			t.Fatalf("the import wrote too little in 2 minutes (%d events)", committed-before)
		}
	}
	if err := cluster.Crash(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := cluster.Ensure(ctx, "importcrash"); err != nil {
		t.Fatal(err)
	}
	env.Svc.Imports.Wait()

	var v importView
	var status struct {
		State string `json:"state"`
		Error string `json:"error"`
	}
	// The service's pool may hand out a connection the crash cut: a 503
	// (retry) is the API's answer to that, then it serves again.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		r = env.Do(http.MethodGet, first, hr, nil)
		if r.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
	}
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s after the crash = %d %s", first, r.Status, r.Body)
	}
	r.JSON(&status)
	t.Logf("the crashed import: %s", r.Body)
	// The cause named is the database's, not a server that stopped.
	if status.State != "failed" || !strings.Contains(status.Error, "interrupted: the database went away") || !strings.Contains(status.Error, "upload the same file again") {
		t.Errorf("the crashed import's status: %s", r.Body)
	}
	// The pool may still hold a connection the crash cut: asked again
	// until the server answers.
	survived := events()
	for deadline := time.Now().Add(time.Minute); survived < 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		survived = events()
	}
	if survived < committed {
		t.Fatalf("%d events were committed before the crash, %d after it", committed, survived)
	}

	v = startAndWait(t, env, hr, body, ct)
	if v.State != "done" || v.Problems != 0 {
		t.Fatalf("the same file again: %+v", v)
	}
	if v.Created+v.Existing != people {
		t.Errorf("the re-run found %d dossiers and created %d, want %d in all", v.Existing, v.Created, people)
	}
	// One creation and one personal-ID claim per person, one event per row.
	if got, want := env.EventCount()-before, 2*people+v.Rows; got != want {
		t.Errorf("%d events in all after the re-run, want %d (each person once, each row once)", got, want)
	}
	if survived >= env.EventCount() {
		t.Fatalf("the crash came after the import had written everything; the test proved nothing")
	}
	rep, err := verify.Verify(ctx, env.Svc.RawStore, verify.Options{Tree: env.Svc.Tree})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("the ledger does not verify after the crash: %s", rep.Summary())
	}
}
