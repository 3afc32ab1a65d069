package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
)

func runAudit(ctx context.Context, env *Env, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "export":
			return runAuditExport(ctx, env, args[1:])
		case "verify":
			return runAuditVerify(env, args[1:])
		}
	}
	fmt.Fprintln(env.Stderr, "usage: hoso audit export --org ID --month YYYY-MM --out FILE\n       hoso audit verify [--key FILE.pub] [--roots PEM] FILE (an audit bundle, or a dossier export .zip)")
	return 2
}

func runAuditExport(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	orgFlag := fs.String("org", "", "the org's `ID`")
	monthFlag := fs.String("month", "", "the approved month, `YYYY-MM`")
	out := fs.String("out", "", "the bundle `FILE` to write")
	levelFlag := fs.String("level", "unit", "the approval's level: unit, or department (the DoHA's over the units' approvals)")
	supplementFlag := fs.Int("supplement", 0, "with --level department: the `N`th supplementary approval (the late unit approvals)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *orgFlag == "" || *monthFlag == "" || *out == "" {
		fmt.Fprintln(env.Stderr, "usage: hoso audit export --org ID --month YYYY-MM [--level unit|department [--supplement N]] --out FILE")
		return 2
	}
	org, err := domain.ParseOrgID(*orgFlag)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso audit export: --org:", err)
		return 2
	}
	month, err := approval.ParseMonth(*monthFlag)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso audit export: --month:", err)
		return 2
	}
	level := approval.Level(*levelFlag)
	if !level.Valid() {
		fmt.Fprintln(env.Stderr, "hoso audit export: --level: unit or department")
		return 2
	}
	if *supplementFlag < 0 || (*supplementFlag > 0 && level != approval.LevelDepartment) {
		fmt.Fprintln(env.Stderr, "hoso audit export: --supplement: 1, 2, … with --level department")
		return 2
	}
	var vkey string
	if k := env.Config.CheckpointKey; k != nil {
		vkey = k.VerifierKey
	}
	pool, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso audit export:", err)
		return 2
	}
	defer pool.Close()
	store := postgres.New(pool, postgres.Options{})
	b, err := auditbundle.ExportSupplement(ctx, pool, store, treelog.New(pool, nil, treelog.Options{}), org, month, level, *supplementFlag, vkey, time.Now())
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso audit export:", err)
		return 1
	}
	data, err := json.MarshalIndent(b, "", " ")
	if err == nil {
		err = os.WriteFile(*out, append(data, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso audit export:", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "audit bundle of %s, tháng %s: %d events → %s\n", org, month.Vietnamese(), len(b.Events), *out)
	return 0
}

// runAuditVerify needs no database: exit 0 when everything checked, 1 with
// one line per problem, 2 when the bundle could not be read.
func runAuditVerify(env *Env, args []string) int {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	keyFile := fs.String("key", "", "the ledger's public checkpoint key `FILE` (note format); default: the key in the bundle")
	rootsPath := fs.String("roots", "", "trust roots `PEM` file or folder for the signer's certificate (default HOSO_SIGNING_TRUST_ROOTS)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "usage: hoso audit verify [--key FILE.pub] [--roots PEM] FILE")
		return 2
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso audit verify:", err)
		return 2
	}
	var opts auditbundle.Options
	if *keyFile != "" {
		if opts.Key, err = checkpoint.LoadVerifier(*keyFile); err != nil {
			fmt.Fprintln(env.Stderr, "hoso audit verify:", err)
			return 2
		}
	}
	opts.Roots = env.Config.TrustRoots // HOSO_SIGNING_TRUST_ROOTS, unless --roots
	if *rootsPath != "" {
		var roots *x509.CertPool
		if roots, err = approvals.LoadTrustRoots(*rootsPath); err != nil {
			fmt.Fprintln(env.Stderr, "hoso audit verify:", err)
			return 2
		}
		opts.Roots = roots
	}
	if export.IsPackage(raw) {
		return verifyExport(env, raw, opts)
	}
	b, err := auditbundle.Decode(raw)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso audit verify:", err)
		return 2
	}
	r := auditbundle.Verify(b, opts)
	monthText := b.Month
	if m, err := approval.ParseMonth(b.Month); err == nil {
		monthText = m.Vietnamese()
	}
	for _, p := range r.Proved {
		fmt.Fprintln(env.Stdout, "ok:", p)
	}
	if r.OK() {
		fmt.Fprintf(env.Stdout, "audit bundle of %s, tháng %s: verified\n", b.Org, monthText)
		return 0
	}
	for _, p := range r.Problems {
		fmt.Fprintln(env.Stdout, p)
	}
	fmt.Fprintf(env.Stderr, "hoso audit verify: %d problem(s)\n", len(r.Problems))
	return 1
}

// verifyExport checks a dossier export package (hoso export, GET
// /dossiers/{id}/export): exit 0 when everything checked, 1 with one line
// per problem.
func verifyExport(env *Env, raw []byte, opts auditbundle.Options) int {
	r, m := export.Verify(raw, opts)
	for _, p := range r.Proved {
		fmt.Fprintln(env.Stdout, "ok:", p)
	}
	if r.OK() {
		fmt.Fprintf(env.Stdout, "export of dossier %s, version %d, as of %s: verified\n", m.Dossier, m.Version,
			m.AsOf.In(domain.VietnamZone).Format("15:04:05 02/01/2006"))
		return 0
	}
	for _, p := range r.Problems {
		fmt.Fprintln(env.Stdout, p)
	}
	fmt.Fprintf(env.Stderr, "hoso audit verify: %d problem(s)\n", len(r.Problems))
	return 1
}
