package projections

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the runner's Prometheus collectors, all labelled by projection.
type Metrics struct {
	applied  *prometheus.CounterVec
	failures *prometheus.CounterVec
	retries  *prometheus.CounterVec
	lag      *prometheus.GaugeVec
	state    *prometheus.GaugeVec
	batch    *prometheus.HistogramVec
	// evictions counts the times a worker fell too far behind the shared
	// read of the log and went on reading on its own.
	evictions *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them on reg; a nil reg
// keeps them unregistered (tests, tools). Registering twice on one registry
// fails with prometheus.AlreadyRegisteredError.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hoso", Subsystem: "projection", Name: "events_applied_total",
			Help: "Events applied and committed with the checkpoint.",
		}, []string{"projection"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hoso", Subsystem: "projection", Name: "failures_total",
			Help: "Times a projection stopped in state failed on a poison event.",
		}, []string{"projection"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hoso", Subsystem: "projection", Name: "batch_retries_total",
			Help: "Batch transactions that failed and were retried or split.",
		}, []string{"projection"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "hoso", Subsystem: "projection", Name: "lag_seconds",
			Help: "Zero when caught up; otherwise now minus recorded_at of the last applied event.",
		}, []string{"projection"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "hoso", Subsystem: "projection", Name: "state",
			Help: "1 for the state the projection's worker is in, 0 for the others.",
		}, []string{"projection", "state"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "hoso", Subsystem: "projection", Name: "batch_seconds",
			Help:    "Duration of committed batch transactions.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10),
		}, []string{"projection"}),
		evictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hoso", Subsystem: "projection", Name: "shared_read_evictions_total",
			Help: "Times the worker fell too far behind the shared read of the log and read on its own.",
		}, []string{"projection"}),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.applied, m.failures, m.retries, m.lag, m.state, m.batch, m.evictions} {
		errs = append(errs, reg.Register(c))
	}
	return m, errors.Join(errs...)
}

func (m *Metrics) setState(name string, s State) {
	for _, each := range []State{StateRunning, StateCaughtUp, StateRebuilding, StateFailed} {
		v := 0.0
		if each == s {
			v = 1
		}
		m.state.WithLabelValues(name, string(each)).Set(v)
	}
}
