package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/processes"
)

// Processes starts and reads the long work that runs beside the requests
// (processes.Manager): a request records a decision and answers 202 with
// the process's address, never doing the work itself.
type Processes interface {
	// Start registers the succession process of an org that has just ended
	// with successors (idempotent) and returns its status.
	Start(ctx context.Context, org domain.OrgID) (processes.Status, error)
	// Get returns a process's status; processes.ErrNotFound when none.
	Get(ctx context.Context, id uuid.UUID) (processes.Status, error)
}

// Process routes. A process is visible to whoever sees the org it is
// about, as GET /orgs/{id}; outside that scope it does not exist (404).
// processView is processes.Status.
type processView struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"` // succession
	Org        string         `json:"org_id"`
	Successors []string       `json:"successors"`
	Decision   string         `json:"decision"` // merge, split, dissolution
	State      string         `json:"state"`    // running, done, failed
	Total      *int           `json:"total"`    // null until the dossiers are listed
	Moved      int            `json:"moved"`
	Skipped    map[string]int `json:"skipped"`
	Failed     int            `json:"failed"`
	Pending    int            `json:"pending"`
	Failures   []failureView  `json:"failures"`
	StartedAt  time.Time      `json:"started_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	FinishedAt *time.Time     `json:"finished_at,omitempty"`
}

type failureView struct {
	Dossier       string     `json:"dossier_id"`
	Attempts      int        `json:"attempts"`
	Error         string     `json:"error"`
	Retrying      bool       `json:"retrying"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"` // while retrying
}

func viewProcess(st processes.Status) processView {
	v := processView{ID: st.ID.String(), Kind: st.Kind, Org: st.Org.String(), Successors: make([]string, len(st.Successors)),
		Decision: st.Detail, State: st.State, Moved: st.Moved, Skipped: st.Skipped, Failed: st.Failed, Pending: st.Pending,
		Failures: make([]failureView, len(st.Failures)), StartedAt: st.StartedAt.UTC(), UpdatedAt: st.UpdatedAt.UTC()}
	for i, o := range st.Successors {
		v.Successors[i] = o.String()
	}
	if st.Listed {
		v.Total = &st.Total
	}
	if v.Skipped == nil {
		v.Skipped = map[string]int{}
	}
	for i, f := range st.Failures {
		v.Failures[i] = failureView{Dossier: f.Dossier.String(), Attempts: f.Attempts, Error: f.Error, Retrying: f.Retrying}
		if f.Retrying {
			next := f.NextAttemptAt.UTC()
			v.Failures[i].NextAttemptAt = &next
		}
	}
	if st.FinishedAt != nil {
		t := st.FinishedAt.UTC()
		v.FinishedAt = &t
	}
	return v
}

// processPath is the address of a process, the Location of a 202.
func processPath(id uuid.UUID) string { return "/api/v1/processes/" + id.String() }

// getProcess: GET /processes/{id} → 200 the process's progress.
func (s *Server) getProcess(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	st, err := s.deps.Processes.Get(c.Request().Context(), id)
	if errors.Is(err, processes.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	if !canSee(CallerOf(c), st.Org) {
		return notFound
	}
	return c.JSON(http.StatusOK, viewProcess(st))
}
