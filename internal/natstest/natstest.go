// Package natstest gives tests a NATS server with JetStream: the one at
// 127.0.0.1:4222 when it answers with JetStream enabled, otherwise an
// embedded nats-server of the test's own, so no test skips for want of a
// broker. Each test takes its own stream name (Topic) and deletes it after.
package natstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Shared is the machine's broker, used when it runs.
const Shared = "nats://127.0.0.1:4222"

// URL returns the URL of a JetStream-enabled NATS server for t.
func URL(t testing.TB) string {
	t.Helper()
	if jetStreamAt(Shared) {
		return Shared
	}
	return Embedded(t)
}

// Embedded starts a nats-server with JetStream inside the test, on a free
// port with its store under t.TempDir(), shut down at cleanup.
func Embedded(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true})
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("natstest: the embedded nats-server did not start")
	}
	t.Cleanup(s.Shutdown)
	return s.ClientURL()
}

func jetStreamAt(url string) bool {
	nc, err := nats.Connect(url, nats.Timeout(time.Second), nats.MaxReconnects(0))
	if err != nil {
		return false
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	return err == nil
}

// Topic is a stream name of t's own on the server at url, deleted at
// cleanup.
func Topic(t testing.TB, url string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	topic := "hoso_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		nc, err := nats.Connect(url)
		if err != nil {
			return
		}
		defer nc.Close()
		if js, err := jetstream.New(nc); err == nil {
			_ = js.DeleteStream(context.Background(), topic)
		}
	})
	return topic
}
