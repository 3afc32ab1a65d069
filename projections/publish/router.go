package publish

import (
	"errors"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// DefaultPoisonTopic receives messages a consumer could not handle.
const DefaultPoisonTopic = "hoso.events.poison"

// RouterConfig tunes NewConsumerRouter.
type RouterConfig struct {
	Logger *slog.Logger // through watermill's slog adapter; required
	// MaxRetries, InitialInterval and MaxInterval shape the exponential
	// backoff between a failed handler's retries (defaults 5, 200ms, 30s).
	MaxRetries      int
	InitialInterval time.Duration
	MaxInterval     time.Duration
	// PoisonPublisher receives, on PoisonTopic (default DefaultPoisonTopic),
	// each message whose handler still fails after the retries, with the
	// error in its metadata; the message is then acked so the consumer moves
	// on. Required: a consumer must never drop an event silently.
	PoisonPublisher message.Publisher
	PoisonTopic     string
}

// NewConsumerRouter returns a watermill Router for integration consumers,
// with, from the outside in: the poison queue, retry with exponential
// backoff, and panic recovery (so a panicking handler is retried and then
// poisoned like a failing one). Handlers must be idempotent by message UUID
// (the event id): delivery is at least once.
func NewConsumerRouter(cfg RouterConfig) (*message.Router, error) {
	if cfg.Logger == nil || cfg.PoisonPublisher == nil {
		return nil, errors.New("publish: RouterConfig needs a Logger and a PoisonPublisher")
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 5
	}
	if cfg.InitialInterval <= 0 {
		cfg.InitialInterval = 200 * time.Millisecond
	}
	if cfg.MaxInterval <= 0 {
		cfg.MaxInterval = 30 * time.Second
	}
	if cfg.PoisonTopic == "" {
		cfg.PoisonTopic = DefaultPoisonTopic
	}
	logger := watermill.NewSlogLogger(cfg.Logger)
	router, err := message.NewRouter(message.RouterConfig{}, logger)
	if err != nil {
		return nil, err
	}
	poison, err := middleware.PoisonQueue(cfg.PoisonPublisher, cfg.PoisonTopic)
	if err != nil {
		return nil, err
	}
	retry := middleware.Retry{
		MaxRetries:      cfg.MaxRetries,
		InitialInterval: cfg.InitialInterval,
		MaxInterval:     cfg.MaxInterval,
		Multiplier:      2,
		Logger:          logger,
	}
	router.AddMiddleware(poison, retry.Middleware, middleware.Recoverer)
	return router, nil
}
