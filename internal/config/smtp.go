package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/google/uuid"
)

// SMTP is the e-mail of outage notices (BT 14.7, docs/operations.md
// "Outages"): off unless HOSO_SMTP_URL is set.
type SMTP struct {
	// URL is HOSO_SMTP_URL: smtp://[user:password@]host[:port] (STARTTLS
	// when offered, required before a password) or smtps://… (TLS).
	URL *url.URL
	// From is HOSO_SMTP_FROM, the sender's address (required with the URL).
	From string
	// To is HOSO_SMTP_TO: each org's addresses, "ORG_ID=a@x,b@y; …", and
	// "*=addr" for every org without its own (Default). The orgs' records
	// hold no e-mail address, so this list is where they come from.
	To      map[uuid.UUID][]string
	Default []string
}

// Enabled reports whether notices are mailed.
func (s SMTP) Enabled() bool { return s.URL != nil }

// Addresses are org's addresses: its own, else the default ones.
func (s SMTP) Addresses(org uuid.UUID) []string {
	if a := s.To[org]; len(a) > 0 {
		return a
	}
	return s.Default
}

func loadSMTP(getenv func(string) string, bad func(error)) SMTP {
	var s SMTP
	raw, from, to := getenv("HOSO_SMTP_URL"), getenv("HOSO_SMTP_FROM"), getenv("HOSO_SMTP_TO")
	if raw == "" {
		if from != "" || to != "" {
			bad(errors.New("HOSO_SMTP_FROM and HOSO_SMTP_TO need HOSO_SMTP_URL"))
		}
		return s
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		bad(errors.New("HOSO_SMTP_URL is not a URL: want smtp://[user:password@]host[:port] or smtps://…"))
	case u.Scheme != "smtp" && u.Scheme != "smtps":
		bad(fmt.Errorf("HOSO_SMTP_URL: scheme %q: want smtp:// or smtps://", u.Scheme))
	case u.Hostname() == "":
		bad(errors.New("HOSO_SMTP_URL: no host"))
	case u.Path != "" && u.Path != "/" || u.RawQuery != "":
		bad(errors.New("HOSO_SMTP_URL: want smtp://[user:password@]host[:port] and nothing after it"))
	default:
		s.URL = u
	}
	switch {
	case from == "":
		bad(errors.New("HOSO_SMTP_FROM is not set: the sender's address of outage notices"))
	case !isAddress(from):
		bad(fmt.Errorf("HOSO_SMTP_FROM: %q is not an e-mail address", from))
	default:
		s.From = from
	}
	s.To = map[uuid.UUID][]string{}
	var problems []string
	for _, entry := range strings.Split(to, ";") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		key, list, ok := strings.Cut(entry, "=")
		key = strings.TrimSpace(key)
		var addrs []string
		for _, a := range strings.Split(list, ",") {
			if a = strings.TrimSpace(a); a == "" {
				continue
			}
			if !isAddress(a) {
				problems = append(problems, fmt.Sprintf("%q is not an e-mail address", a))
				continue
			}
			addrs = append(addrs, a)
		}
		switch {
		case !ok || len(addrs) == 0 && len(problems) == 0:
			problems = append(problems, fmt.Sprintf("%q: want ORG_ID=addr[,addr…] or *=addr", entry))
		case key == "*":
			s.Default = append(s.Default, addrs...)
		default:
			id, err := uuid.Parse(key)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%q is not an org id", key))
				continue
			}
			s.To[id] = append(s.To[id], addrs...)
		}
	}
	if problems != nil {
		bad(fmt.Errorf("HOSO_SMTP_TO: %s", strings.Join(problems, "; ")))
	}
	if len(s.To) == 0 && len(s.Default) == 0 && problems == nil {
		bad(errors.New("HOSO_SMTP_TO is not set: the orgs' addresses (ORG_ID=addr; …; *=addr for the others)"))
	}
	return s
}

// isAddress accepts one bare address, as an SMTP envelope takes it.
func isAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}
