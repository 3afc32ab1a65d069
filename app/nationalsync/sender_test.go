package nationalsync_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app/nationalsync"
)

func receiptFor(t *testing.T) []byte {
	t.Helper()
	b, _ := json.Marshal(nationalsync.Receipt{Format: nationalsync.ReceiptFormat, PackageID: uuid.New(), Digest: "ab", ReceivedAt: time.Now(), Receiver: "test", Note: "x"})
	return b
}

// TestHTTPSenderClassifiesAnswers: a receipt is success; a refusal (4xx
// but 408/429) is final with the receiver's reasons; anything else,
// including no answer in time, is worth another try.
func TestHTTPSenderClassifiesAnswers(t *testing.T) {
	t.Parallel()
	receipt := receiptFor(t)
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		delay    time.Duration
		ok       bool
		rejected bool
		reasons  int
		code     string
	}{
		{"created with a receipt", 201, string(receipt), 0, true, false, 0, ""},
		{"replay with the receipt", 200, string(receipt), 0, true, false, 0, ""},
		{"200 without a receipt", 200, `{}`, 0, false, false, 0, ""},
		{"refused with reasons", 422, `{"code":"package_invalid","reasons":["level 1: edited","sync signature: bad"]}`, 0, false, true, 2, "package_invalid"},
		{"the department approval missing", 424, `{"code":"department_approval_missing","reasons":["department approval with manifest ab: not held"]}`, 0, false, true, 1, nationalsync.CodeDepartmentMissing},
		{"refused without a body", 409, ``, 0, false, true, 1, ""},
		{"unauthorized", 401, `no`, 0, false, true, 1, ""},
		{"too many requests", 429, ``, 0, false, false, 0, ""},
		{"down", 503, `bảo trì`, 0, false, false, 0, ""},
		{"too slow", 201, string(receipt), time.Minute, false, false, 0, ""},
	} {
		answered := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer tok" || r.Method != http.MethodPost {
				w.WriteHeader(http.StatusTeapot)
				return
			}
			if tc.delay > 0 {
				// Held until the sender gives up: the answer must never come
				// in time, however slow the machine running the test.
				select {
				case <-answered:
					return
				case <-time.After(tc.delay):
				}
			}
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		}))
		// The timeout is short only where the test is that the sender gives
		// up; elsewhere a loaded CI machine must not turn an answer into a
		// timeout.
		timeout := 30 * time.Second
		if tc.delay > 0 {
			timeout = 200 * time.Millisecond
		}
		s := nationalsync.NewHTTPSender(srv.URL, "tok", nil, timeout)
		got, err := s.Send(context.Background(), []byte(`{}`))
		close(answered)
		rej, isRej := nationalsync.IsRejected(err)
		switch {
		case tc.ok && (err != nil || string(got) != string(receipt)):
			t.Errorf("%s: Send = %s, %v; want the receipt", tc.name, got, err)
		case !tc.ok && err == nil:
			t.Errorf("%s: Send succeeded", tc.name)
		case isRej != tc.rejected:
			t.Errorf("%s: rejected = %v (%v), want %v", tc.name, isRej, err, tc.rejected)
		case isRej && (rej.Status != tc.status || len(rej.Reasons) != tc.reasons || rej.Code != tc.code):
			t.Errorf("%s: %+v, want status %d, code %q, with %d reasons", tc.name, rej, tc.status, tc.code, tc.reasons)
		}
		srv.Close()
	}
}

func selfSigned(t *testing.T, cn string) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, c
}

// TestHTTPSenderMutualTLS: a receiver that requires a client certificate
// accepts the sender that presents the province's, and refuses one
// without (a transport error, retried, never a rejection).
func TestHTTPSenderMutualTLS(t *testing.T) {
	t.Parallel()
	receipt := receiptFor(t)
	pair, cert := selfSigned(t, "Sở Nội vụ tỉnh Thử")
	clients := x509.NewCertPool()
	clients.AddCert(cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) != 1 || r.TLS.PeerCertificates[0].Subject.CommonName != "Sở Nội vụ tỉnh Thử" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(receipt)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clients}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	with := nationalsync.NewHTTPSender(srv.URL, "", &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}, 5*time.Second)
	if got, err := with.Send(context.Background(), []byte(`{}`)); err != nil || string(got) != string(receipt) {
		t.Fatalf("with the client certificate: %s, %v", got, err)
	}
	without := nationalsync.NewHTTPSender(srv.URL, "", &tls.Config{RootCAs: roots}, 5*time.Second)
	_, err := without.Send(context.Background(), []byte(`{}`))
	if _, rejected := nationalsync.IsRejected(err); err == nil || rejected || errors.Is(err, context.Canceled) {
		t.Fatalf("without a client certificate: %v; want a transport error", err)
	}
}
