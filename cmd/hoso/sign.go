package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/hoso-ledger/hoso/internal/tokensign"
)

const signUsage = `usage: hoso sign [token flags] --in manifest.json --out manifest.p7s
       hoso sign [token flags] --url BASE --org ID --month YYYY-MM [--level unit|department] [--supplement N] [--user NAME]
token flags: [--module PATH] (--token-label LABEL | --slot N) (--key-label LABEL | --key-id HEX)
The PIN comes from HOSO_PKCS11_PIN or a prompt; the API token from HOSO_API_TOKEN,
or --user and a password prompt. Never from a flag.`

// runSign signs a manifest with a PKCS#11 token: offline from a file to a
// file, or online (fetch the month's manifest, sign, upload, print the
// recorded approval).
func runSign(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	module := fs.String("module", tokensign.DefaultModule, "the token's PKCS#11 module `PATH`")
	tokenLabel := fs.String("token-label", "", "the token's `LABEL`")
	slot := fs.Int("slot", -1, "the token's slot `N` (instead of --token-label)")
	keyLabel := fs.String("key-label", "", "the signing key's `LABEL` (its certificate has the same)")
	keyID := fs.String("key-id", "", "the signing key's id in `HEX`")
	in := fs.String("in", "", "offline: the manifest `FILE` to sign")
	out := fs.String("out", "", "offline: where to write the detached CMS (DER) `FILE`")
	base := fs.String("url", "", "online: the API's base `URL`, e.g. http://127.0.0.1:8080")
	org := fs.String("org", "", "online: the org's `ID`")
	month := fs.String("month", "", "online: the month `YYYY-MM`")
	level := fs.String("level", "unit", "online: unit or department")
	supplement := fs.Int("supplement", 0, "online: `N` of a supplementary department approval")
	user := fs.String("user", "", "online: log in as `NAME` (the password is prompted) when HOSO_API_TOKEN is unset")
	bad := func(msg string) int {
		if msg != "" {
			fmt.Fprintln(env.Stderr, "hoso sign:", msg)
		}
		fmt.Fprintln(env.Stderr, signUsage)
		return 2
	}
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return bad("")
	}
	offline, online := *in != "" || *out != "", *base != ""
	if offline == online {
		return bad("give --in and --out (offline), or --url (online)")
	}
	if offline && (*in == "" || *out == "") {
		return bad("offline signing needs both --in and --out")
	}
	if online && (*org == "" || *month == "") {
		return bad("online signing needs --org and --month")
	}
	opts := tokensign.Options{Module: *module, TokenLabel: *tokenLabel, KeyLabel: *keyLabel}
	if *slot >= 0 {
		opts.Slot = slot
	}
	if *keyID != "" {
		id, err := hex.DecodeString(*keyID)
		if err != nil {
			return bad("--key-id: hexadecimal")
		}
		opts.KeyID = id
	}
	if (opts.TokenLabel == "") == (opts.Slot == nil) {
		return bad("name the token by --token-label or --slot")
	}
	if opts.KeyLabel == "" && opts.KeyID == nil {
		return bad("name the key by --key-label or --key-id")
	}
	stdin := bufio.NewReader(env.Stdin)
	var content []byte
	if offline {
		b, err := os.ReadFile(*in)
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso sign:", err)
			return 1
		}
		content = b
	}
	client := tokensign.Client{BaseURL: *base, Token: env.Config.APIToken}
	if online && client.Token == "" {
		if *user == "" {
			return bad("set HOSO_API_TOKEN, or give --user")
		}
		pw, err := secret(env, stdin, "Mật khẩu của "+*user+": ")
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso sign:", err)
			return 1
		}
		if client.Token, err = client.Login(ctx, *user, pw); err != nil {
			fmt.Fprintln(env.Stderr, "hoso sign: login:", err)
			return 1
		}
	}
	opts.PIN = env.Config.PKCS11PIN
	if opts.PIN == "" {
		pin, err := secret(env, stdin, "PIN của token: ")
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso sign:", err)
			return 1
		}
		opts.PIN = pin
	}
	tok, err := tokensign.Open(opts)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso sign:", err)
		return 1
	}
	defer tok.Close()
	fmt.Fprintf(env.Stderr, "hoso sign: signing as %s (certificate serial %s)\n", tok.Certificate().Subject, tok.Certificate().SerialNumber)
	if offline {
		der, err := tok.Sign(content, time.Now())
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso sign:", err)
			return 1
		}
		if err := os.WriteFile(*out, der, 0o644); err != nil {
			fmt.Fprintln(env.Stderr, "hoso sign:", err)
			return 1
		}
		fmt.Fprintf(env.Stdout, "signed %s (%d bytes) into %s\n", *in, len(content), *out)
		return 0
	}
	m := tokensign.Month{Org: *org, Month: *month, Level: *level, Supplement: *supplement}
	_, approval, err := tokensign.SignMonth(ctx, client, tok, m, time.Now())
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso sign:", err)
		return 1
	}
	fmt.Fprintln(env.Stdout, strings.TrimSpace(string(approval)))
	return 0
}

// secret reads a PIN or password: without echo from a terminal, else one
// line of standard input (scripts pipe it in).
func secret(env *Env, stdin *bufio.Reader, prompt string) (string, error) {
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.Stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		return string(b), err
	}
	line, err := stdin.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", fmt.Errorf("reading the secret from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
