package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/projections/compliance"
)

// OutageReader reads hoso's own availability (processes/outage, BT 14.7).
type OutageReader interface {
	// Availability is each function's state now and every outage on
	// record, with what the ledger holds of its notice.
	Availability(ctx context.Context) (Availability, error)
	// Notices are the compliance view's items of orgs: one per org
	// notified of an outage (projections/compliance).
	Notices(ctx context.Context, orgs []domain.OrgID) ([]compliance.OutageNotice, error)
}

// Availability is what GET /outages shows of the health history.
type Availability struct {
	AsOf      time.Time        `json:"as_of"`
	Functions []FunctionStatus `json:"functions"`
	Outages   []OutageView     `json:"outages"`
}

// FunctionStatus is one function now: up when a process reported it up
// within the grace.
type FunctionStatus struct {
	Function string    `json:"function"`
	State    string    `json:"state"` // up | down
	LastUp   time.Time `json:"last_up,omitzero"`
	Detail   string    `json:"detail,omitempty"`
}

// OutageView is one outage: ongoing while end is absent.
type OutageView struct {
	ID          uuid.UUID  `json:"id"`
	Function    string     `json:"function"`
	Start       time.Time  `json:"start"`
	End         *time.Time `json:"end,omitempty"`
	Ongoing     bool       `json:"ongoing"`
	WorkingDays int        `json:"working_days"`
	Notified    bool       `json:"notified"`
	EndRecorded bool       `json:"end_recorded"`
}

// OutageNoticeView is one org's notice.
type OutageNoticeView struct {
	OutageID    uuid.UUID    `json:"outage_id"`
	Org         domain.OrgID `json:"org"`
	Function    string       `json:"function"`
	StartedAt   time.Time    `json:"started_at"`
	EndedAt     *time.Time   `json:"ended_at,omitempty"`
	WorkingDays int          `json:"working_days"`
	NotifiedAt  time.Time    `json:"notified_at"`
	EventID     uuid.UUID    `json:"event_id"`
}

type outagesView struct {
	Availability
	Notices []OutageNoticeView `json:"notices"`
}

// listOutages: GET /outages. The health history is nobody's personal data
// and every org depends on it, so every authenticated caller sees it; the
// notices are those of the orgs in the caller's compliance scope.
func (s *Server) listOutages(c echo.Context) error {
	if s.deps.Outages == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Detail: "the health history is not kept by this process"}
	}
	scope, err := s.complianceScope(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, err := s.deps.Outages.Availability(ctx)
	if err != nil {
		return err
	}
	out := outagesView{Availability: a, Notices: []OutageNoticeView{}}
	if out.Functions == nil {
		out.Functions = []FunctionStatus{}
	}
	if out.Outages == nil {
		out.Outages = []OutageView{}
	}
	if len(scope) > 0 {
		ns, err := s.deps.Outages.Notices(ctx, scope)
		if err != nil {
			return err
		}
		for _, n := range ns {
			v := OutageNoticeView{OutageID: n.OutageID, Org: n.Org, Function: n.Function, StartedAt: n.StartedAt,
				WorkingDays: n.WorkingDays, NotifiedAt: n.NotifiedAt, EventID: n.EventID}
			if !n.EndedAt.IsZero() {
				v.EndedAt = &n.EndedAt
			}
			out.Notices = append(out.Notices, v)
		}
	}
	return c.JSON(http.StatusOK, out)
}
