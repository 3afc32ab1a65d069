package outage

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/outage"
)

// Mailer sends one message.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Message is one e-mail: plain UTF-8 text.
type Message struct {
	To      []string
	Subject string
	Body    string
	// ID is the Message-ID: the same notice to the same org always has
	// the same one, so a mail client shows a resent notice once.
	ID string
}

// SMTP sends through an SMTP server with the standard library's client
// (net/smtp: frozen but complete for submitting a message, and no
// dependency). URL is smtp://[user:password@]host[:port] (port 25 by
// default; STARTTLS whenever the server offers it, and required before
// a password is sent, which net/smtp enforces except to localhost) or
// smtps://… (TLS from the start, port 465).
type SMTP struct {
	URL  *url.URL
	From string
	// TLS configures the TLS of STARTTLS and smtps (the host's name and
	// the system roots when nil).
	TLS *tls.Config
	// Timeout bounds one message's whole conversation (30 s when zero).
	Timeout time.Duration
}

// ParseSMTPURL checks an smtp:// or smtps:// URL.
func ParseSMTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return nil, fmt.Errorf("scheme %q: want smtp:// or smtps://", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("no host")
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, errors.New("want smtp://[user:password@]host[:port] and nothing after it")
	}
	return u, nil
}

// Send implements Mailer.
func (s SMTP) Send(ctx context.Context, m Message) error {
	if len(m.To) == 0 {
		return errors.New("no recipient")
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, port := s.URL.Hostname(), s.URL.Port()
	if port == "" {
		port = map[string]string{"smtp": "25", "smtps": "465"}[s.URL.Scheme]
	}
	tcfg := s.TLS
	if tcfg == nil {
		tcfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	var (
		conn net.Conn
		err  error
	)
	addr := net.JoinHostPort(host, port)
	if s.URL.Scheme == "smtps" {
		conn, err = (&tls.Dialer{Config: tcfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("hoso"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && s.URL.Scheme == "smtp" {
		if err := c.StartTLS(tcfg); err != nil {
			return err
		}
	}
	if u := s.URL.User; u != nil {
		pw, _ := u.Password()
		if err := c.Auth(smtp.PlainAuth("", u.Username(), pw, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(s.From); err != nil {
		return err
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("%s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(s.render(m)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// render is the message as sent: headers (the subject in RFC 2047 words,
// so Vietnamese survives every server) and the body in UTF-8, lines
// ending in CRLF.
func (s SMTP) render(m Message) []byte {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", s.From)
	h("To", strings.Join(m.To, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", time.Now().Format(time.RFC1123Z))
	if m.ID != "" {
		h("Message-ID", "<"+m.ID+">")
	}
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	for _, l := range strings.Split(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n") {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// CheckAddress accepts one bare e-mail address.
func CheckAddress(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return fmt.Errorf("%q is not an e-mail address", s)
	}
	return nil
}

// functionNames are the functions as an org's staff know them.
var functionNames = map[string]string{
	outage.FunctionAPI:         "phần mềm quản lý hồ sơ (giao diện và API) / the dossier software (web and API)",
	outage.FunctionProjections: "tra cứu, báo cáo, thống kê / search, reports and statistics",
	outage.FunctionSequencer:   "nhật ký chứng thực (Merkle) / the verifiable log",
	outage.FunctionSync:        "đồng bộ CSDL quốc gia / delivery to the national database",
}

// NoticeMessage is the notice n as an e-mail to org (named name).
func NoticeMessage(n outage.Notified, org uuid.UUID, name string, to []string) Message {
	f := functionNames[n.Function]
	if f == "" {
		f = n.Function
	}
	at := func(t time.Time) string {
		return domain.DateOf(t).Vietnamese() + " " + t.In(domain.VietnamZone).Format("15:04") + " (giờ Việt Nam)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Kính gửi: %s\n\n", name)
	fmt.Fprintf(&b, "Phần mềm quản lý hồ sơ điện tử ngừng hoạt động từ %s", at(n.StartedAt))
	if !n.EndedAt.IsZero() {
		fmt.Fprintf(&b, " đến %s", at(n.EndedAt))
	}
	fmt.Fprintf(&b, ", trong %d ngày làm việc liên tiếp.\nChức năng: %s\n", n.WorkingDays, f)
	fmt.Fprintf(&b, "Căn cứ: khoản 7 Điều 14 Quyết định 04/2013/QĐ-UBND.\n\n")
	fmt.Fprintf(&b, "The personnel dossier software has been unavailable since %s", n.StartedAt.UTC().Format(time.RFC3339))
	if !n.EndedAt.IsZero() {
		fmt.Fprintf(&b, " until %s", n.EndedAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, ", %d consecutive working days.\nOutage %s (ledger stream %s).\n", n.WorkingDays, n.OutageID, outage.Stream(n.OutageID))
	subject := fmt.Sprintf("[hoso] Thông báo sự cố: phần mềm ngừng hoạt động %d ngày làm việc", n.WorkingDays)
	return Message{To: to, Subject: subject, Body: b.String(), ID: fmt.Sprintf("%s.%s@hoso", n.OutageID, org)}
}

// mail sends the notice to every org concerned that has an address and
// has not been sent it yet: a row per org is written before the first
// attempt and marked once the server accepted the message (mailOne).
func (d *Detector) mail(ctx context.Context, n outage.Notified) error {
	if d.Addresses == nil {
		return nil
	}
	for _, org := range n.Orgs {
		to := d.Addresses(org)
		if len(to) == 0 {
			continue
		}
		if _, err := d.Pool.Exec(ctx, `INSERT INTO outage_mail (outage_id, org_id, address) VALUES ($1, $2, $3)
ON CONFLICT (outage_id, org_id) DO NOTHING`, n.OutageID, org, strings.Join(to, ", ")); err != nil {
			return err
		}
	}
	rows, err := d.Pool.Query(ctx, `SELECT org_id, address FROM outage_mail WHERE outage_id = $1 AND sent_at IS NULL ORDER BY org_id`, n.OutageID)
	if err != nil {
		return err
	}
	type pending struct {
		org  uuid.UUID
		addr string
	}
	var todo []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.org, &p.addr); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var errs []error
	for _, p := range todo {
		if err := d.mailOne(ctx, n, p.org, p.addr); err != nil {
			errs = append(errs, fmt.Errorf("to %s: %w", p.addr, err))
		}
	}
	return errors.Join(errs...)
}

// mailOne sends one org its notice unless another detector is sending it
// or has sent it. The claim is a session advisory lock on a connection of
// its own: no transaction stays open through the SMTP conversation (an open
// transaction would hold back the ledger's readers), and a process that
// dies mid-send releases it with its connection.
func (d *Detector) mailOne(ctx context.Context, n outage.Notified, org uuid.UUID, addr string) error {
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	key := mailLockKey(n.OutageID, org)
	var mine bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&mine); err != nil {
		return err
	}
	if !mine {
		return nil // another detector is at it; the next pass looks again
	}
	defer func() {
		// A lock left behind would stay with the pooled connection.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	var sent bool
	if err := conn.QueryRow(ctx, `SELECT sent_at IS NOT NULL FROM outage_mail WHERE outage_id = $1 AND org_id = $2`, n.OutageID, org).Scan(&sent); err != nil {
		return err
	}
	if sent {
		return nil
	}
	name := org.String()
	if d.OrgName != nil {
		if s := d.OrgName(ctx, org); s != "" {
			name = s
		}
	}
	if err := d.Mailer.Send(ctx, NoticeMessage(n, org, name, strings.Split(addr, ", "))); err != nil {
		if _, uerr := conn.Exec(ctx, `UPDATE outage_mail SET attempts = attempts + 1, last_error = $3 WHERE outage_id = $1 AND org_id = $2`,
			n.OutageID, org, truncate(err.Error(), 400)); uerr != nil {
			return errors.Join(err, uerr)
		}
		return err
	}
	if _, err := conn.Exec(ctx, `UPDATE outage_mail SET attempts = attempts + 1, last_error = NULL, sent_at = $3 WHERE outage_id = $1 AND org_id = $2`,
		n.OutageID, org, d.Now().UTC()); err != nil {
		return err
	}
	d.Logger.Info("outage notice mailed", "outage", n.OutageID, "org", org, "to", addr)
	return nil
}

// mailLockKey is the advisory lock of one notice's e-mail to one org.
func mailLockKey(outageID, org uuid.UUID) int64 {
	h := uuid.NewSHA1(outageID, org[:])
	return int64(binary.BigEndian.Uint64(h[:8]))
}
