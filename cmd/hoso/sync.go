package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/nationalsync"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
)

// syncKey is the province's sync key: the file HOSO_SYNC_KEY names; unset,
// a development key under var/ on the private cluster; nil otherwise.
func syncKey(env *Env) (*checkpoint.Key, error) {
	if env.Config.Sync.Key != nil {
		return env.Config.Sync.Key, nil
	}
	if env.Config.DatabaseURL != "" {
		return nil, nil
	}
	k, err := checkpoint.LoadOrCreateKey(filepath.Join(env.RepoDir, "var", "sync.key"), "hoso.dev/sync")
	if err != nil {
		return nil, fmt.Errorf("the development sync key: %w", err)
	}
	return &k, nil
}

// withSync turns the delivery on in cfg when HOSO_NATIONAL_URL is set.
func withSync(env *Env, cfg *service.Config) error {
	if !env.Config.Sync.Enabled() {
		return nil
	}
	k, err := syncKey(env)
	if err != nil {
		return err
	}
	var errs []error // both at once
	if k == nil {
		errs = append(errs, errors.New("HOSO_NATIONAL_URL is set but HOSO_SYNC_KEY is not: packages must be signed with the province's sync key"))
	}
	if cfg.CheckpointKey == nil {
		errs = append(errs, errors.New("HOSO_NATIONAL_URL is set but HOSO_CHECKPOINT_KEY is not: packages carry a signed checkpoint"))
	}
	if errs != nil {
		return errors.Join(errs...)
	}
	if env.Config.Sync.ReleaseTo == nil {
		// Sending without it would deliver every sensitive data element
		// sealed under keys the national database never gets: refused
		// rather than delivered unreadable (docs/sync.md, "Key release").
		return errors.New("HOSO_NATIONAL_URL is set but HOSO_NATIONAL_KEY is not: the dossiers' data keys are released to the national receiver's X25519 key, without which it cannot read the sensitive data elements")
	}
	cfg.Sync = service.SyncFrom(env.Config.Sync, k.Signer)
	return nil
}

const syncUsage = `usage: hoso sync status [--org ID] [--month YYYY-MM] [--problems]
  the deliveries to the national database: one line per package, late
  and rejected ones marked, with the receiver's reasons`

// runSync exits 0, or 2 for usage or connection problems.
func runSync(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprintln(env.Stderr, syncUsage)
		return 2
	}
	fs := flag.NewFlagSet("sync status", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprintln(env.Stderr, syncUsage) }
	org := fs.String("org", "", "only this org's packages (the unit's or the department's)")
	month := fs.String("month", "", "only this month")
	problems := fs.Bool("problems", false, "only late, overdue and rejected packages")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		if err == nil {
			fs.Usage()
		}
		return 2
	}
	f := syncstatus.Filter{All: *org == "", Month: *month, Problems: *problems, Today: domain.DateOf(time.Now())}
	if *org != "" {
		id, err := domain.ParseOrgID(*org)
		if err != nil {
			fmt.Fprintf(env.Stderr, "hoso sync status: --org %q is not an org id\n", *org)
			return 2
		}
		f.Orgs = []domain.OrgID{id}
	}
	if *month != "" {
		if _, err := approval.ParseMonth(*month); err != nil {
			fmt.Fprintf(env.Stderr, "hoso sync status: --month %q: want YYYY-MM\n", *month)
			return 2
		}
	}
	pool, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso sync:", err)
		return 2
	}
	defer pool.Close()
	ps, err := syncstatus.List(ctx, pool, f)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso sync:", err)
		return 2
	}
	printPackages(env.Stdout, ps)
	return 0
}

func printPackages(w io.Writer, ps []syncstatus.Package) {
	if len(ps) == 0 {
		fmt.Fprintln(w, "no packages")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tORG\tMONTH\tSTATE\tATTEMPTS\tDUE\tSETTLED\tFLAG")
	for _, p := range ps {
		due, settled, flag := "-", "-", ""
		if p.Due != nil {
			due = p.Due.Vietnamese()
		}
		if p.SettledAt != nil {
			settled = p.SettledAt.In(domain.VietnamZone).Format("15:04 02/01/2006")
		}
		switch {
		case p.State == "rejected":
			flag = "REJECTED: " + strings.Join(p.Reasons, "; ")
		case p.Overdue:
			flag = "OVERDUE"
		case p.Late:
			flag = "LATE"
		}
		month := p.Month
		if p.Supplement > 0 {
			month += fmt.Sprintf(" (bổ sung %d)", p.Supplement)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", p.ID, p.Org, month, p.State, p.Attempts, due, settled, flag)
	}
	tw.Flush()
}

const receiverUsage = `usage: hoso receiver --dir DIR --sync-key FILE.pub --checkpoint-key FILE.pub --roots ROOTS.pem --key FILE
                     [--data-key FILE] [--listen ADDR] [--token-file FILE] [--tls-cert FILE --tls-key FILE [--client-ca FILE]]
  the reference national receiver: verifies each department approval once
  (sync key, its CMS signature, the checkpoint) and each package (sync key,
  the unit's CMS signature, the checkpoint, every inclusion proof, its
  listing in the department approval it names: 424 when that is not held),
  stores them under DIR and answers a receipt signed with --key (made on
  first use; FILE.pub beside it);
  with --data-key (X25519 private key, PEM PKCS #8: openssl genpkey -algorithm X25519),
  it also opens the dossiers' data keys the package carries, and refuses a
  package whose keys do not open with it`

// runReceiver serves until interrupted; 2 for usage problems, 1 when it
// cannot serve.
func runReceiver(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("receiver", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprintln(env.Stderr, receiverUsage) }
	listen := fs.String("listen", "127.0.0.1:8090", "address to listen on")
	dir := fs.String("dir", "", "where packages and receipts are stored")
	syncPub := fs.String("sync-key", "", "the province's public sync key (note format)")
	cpPub := fs.String("checkpoint-key", "", "the province ledger's public checkpoint key")
	rootsPath := fs.String("roots", "", "PEM roots of the approvers' certificates")
	keyPath := fs.String("key", "", "the receiver's signing key (made when missing)")
	tokenFile := fs.String("token-file", "", "a file holding the bearer token senders must present")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate")
	tlsKey := fs.String("tls-key", "", "and this key")
	clientCA := fs.String("client-ca", "", "require client certificates from this CA (mutual TLS)")
	dataKey := fs.String("data-key", "", "the receiver's X25519 private key the dossiers' data keys are released to (PEM)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		if err == nil {
			fs.Usage()
		}
		return 2
	}
	var problems []string
	need := func(v, flag string) {
		if v == "" {
			problems = append(problems, flag+" is required")
		}
	}
	need(*dir, "--dir")
	need(*syncPub, "--sync-key")
	need(*cpPub, "--checkpoint-key")
	need(*rootsPath, "--roots")
	need(*keyPath, "--key")
	if (*tlsCert == "") != (*tlsKey == "") || (*clientCA != "" && *tlsCert == "") {
		problems = append(problems, "--tls-cert and --tls-key go together, and --client-ca needs them")
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(env.Stderr, "hoso receiver:", p)
		}
		return 2
	}
	rc, err := receiver(*dir, *syncPub, *cpPub, *rootsPath, *keyPath, *tokenFile, *dataKey)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso receiver:", err)
		return 2
	}
	srv := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	if *clientCA != "" {
		pem, err := os.ReadFile(*clientCA)
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintln(env.Stderr, "hoso receiver: --client-ca: no PEM certificate")
			return 2
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso receiver:", err)
		return 1
	}
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(env.Stdout, "hoso receiver is listening on %s://%s/packages (receipts signed by %s)\n", scheme, ln.Addr(), rc.Key.Name())
	errc := make(chan error, 1)
	go func() {
		if *tlsCert != "" {
			errc <- srv.ServeTLS(ln, *tlsCert, *tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
		return 0
	case err := <-errc:
		fmt.Fprintln(env.Stderr, "hoso receiver:", err)
		return 1
	}
}

// receiver builds the reference receiver from its files.
func receiver(dir, syncPub, cpPub, rootsPath, keyPath, tokenFile, dataKey string) (*nationalsync.Receiver, error) {
	verifier := func(path string) (note.Verifier, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return note.NewVerifier(strings.TrimSpace(string(b)))
	}
	sv, err := verifier(syncPub)
	if err != nil {
		return nil, fmt.Errorf("--sync-key: %w", err)
	}
	cv, err := verifier(cpPub)
	if err != nil {
		return nil, fmt.Errorf("--checkpoint-key: %w", err)
	}
	roots, err := approvals.LoadTrustRoots(rootsPath)
	if err != nil {
		return nil, fmt.Errorf("--roots: %w", err)
	}
	key, err := checkpoint.LoadOrCreateKey(keyPath, "hoso.receiver/national")
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	rc := &nationalsync.Receiver{Dir: dir, SyncKey: sv, CheckpointKey: cv, Roots: roots, Key: key.Signer}
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-file: %w", err)
		}
		if rc.Token = strings.TrimSpace(string(b)); rc.Token == "" {
			return nil, errors.New("--token-file: empty")
		}
	}
	if dataKey != "" {
		b, err := os.ReadFile(dataKey)
		if err == nil {
			rc.DataKey, err = nationalsync.ParseReleasePrivateKey(b)
		}
		if err != nil {
			return nil, fmt.Errorf("--data-key: %w", err)
		}
	}
	return rc, nil
}
