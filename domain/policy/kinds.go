package policy

import (
	"slices"
	"strings"

	"github.com/hoso-ledger/hoso/domain"
)

// ActionKind is a kind of action a regulation puts a deadline, a window or a
// due date on. Its stable string ("create_dossier") is what policy files,
// events and projections store; the zero ActionKind is invalid ("unset"), and
// no other value can be made outside this package.
type ActionKind struct{ name string }

// The closed set of action kinds.
var (
	// CreateDossier: enter a new person's dossier.
	CreateDossier = ActionKind{"create_dossier"}
	// PersonForm: the person enters or hands in their own data — the data
	// form after recruitment (Huế 9.1b, from the decision) or their own
	// entries through the personal account (Bình Định II.1b, from the
	// account's issue). The person's duty, shown to the managing org.
	PersonForm = ActionKind{"person_form"}
	// UpdateAfterChange: record a change (appointment, salary, reward…).
	UpdateAfterChange = ActionKind{"update_after_change"}
	// TransferInternal: move a dossier between departments of one org.
	TransferInternal = ActionKind{"transfer_internal"}
	// TransferBetweenOrgs: the old org sends the dossier to the new one.
	TransferBetweenOrgs = ActionKind{"transfer_between_orgs"}
	// TransferForward: the receiving org forwards the dossier to the unit
	// that employs the person (Huế 10.2).
	TransferForward = ActionKind{"transfer_forward"}
	// TransferInFromOutside: a person arrives from outside the province; the
	// org asks for the national-database sync (Tiền Giang 10.1a).
	TransferInFromOutside = ActionKind{"transfer_in_from_outside"}
	// StatusChange: retirement, resignation, death, downsizing, transfer out.
	StatusChange = ActionKind{"status_change"}
	// NationalSync: a change entered in the management system reaches the
	// national database (Decree 27/2026).
	NationalSync = ActionKind{"national_sync"}
	// NationalSyncManual: a change that did not come through the management
	// system reaches the national database (Decree 27/2026).
	NationalSyncManual = ActionKind{"national_sync_manual"}
	// MonthlyApproval: the org's head signs the month's data.
	MonthlyApproval = ActionKind{"monthly_approval"}
	// DoHAApproval: the Department of Home Affairs signs and syncs the month.
	DoHAApproval = ActionKind{"doha_approval"}
	// ReportHalfYear: the half-yearly compliance report.
	ReportHalfYear = ActionKind{"report_half_year"}
	// ReportYear: the yearly compliance report.
	ReportYear = ActionKind{"report_year"}
	// ReportQuarter: the quarterly report (Bình Định III.2).
	ReportQuarter = ActionKind{"report_quarter"}
	// ReportToMOHA: the province's yearly report to the Ministry of Home
	// Affairs (Tiền Giang 16.8).
	ReportToMOHA = ActionKind{"report_to_moha"}
)

var (
	deadlineKinds = []ActionKind{CreateDossier, PersonForm, UpdateAfterChange, TransferInternal, TransferBetweenOrgs,
		TransferForward, TransferInFromOutside, StatusChange, NationalSync, NationalSyncManual}
	windowKinds = []ActionKind{MonthlyApproval, DoHAApproval}
	reportKinds = []ActionKind{ReportHalfYear, ReportYear, ReportQuarter, ReportToMOHA}
)

// ActionKinds lists every action kind, deadlines first, then approval
// windows, then reports.
func ActionKinds() []ActionKind {
	return slices.Concat(deadlineKinds, windowKinds, reportKinds)
}

// ParseActionKind returns the kind named s; an unknown name gives an error
// wrapping domain.ErrInvalid.
func ParseActionKind(s string) (ActionKind, error) {
	for _, k := range ActionKinds() {
		if k.name == s {
			return k, nil
		}
	}
	return ActionKind{}, domain.Invalid("action", "enum", "one of "+names(ActionKinds()))
}

func (k ActionKind) String() string { return k.name }

// IsZero reports whether k is unset.
func (k ActionKind) IsZero() bool { return k.name == "" }

// MarshalText writes the stable name.
func (k ActionKind) MarshalText() ([]byte, error) { return []byte(k.name), nil }

// UnmarshalText reads a stable name; errors wrap domain.ErrInvalid.
func (k *ActionKind) UnmarshalText(b []byte) error {
	v, err := ParseActionKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Unit says whether a deadline counts working days or calendar days.
type Unit struct{ name string }

var (
	// WorkingDays: "ngày làm việc", counted on the civil-service calendar.
	WorkingDays = Unit{"working_days"}
	// Days: calendar days; a deadline ending on a day off moves to the next
	// working day (Civil Code art. 148).
	Days = Unit{"days"}
)

var units = []Unit{WorkingDays, Days}

// ParseUnit returns the unit named s; errors wrap domain.ErrInvalid.
func ParseUnit(s string) (Unit, error) {
	for _, u := range units {
		if u.name == s {
			return u, nil
		}
	}
	return Unit{}, domain.Invalid("unit", "enum", "one of working_days, days")
}

func (u Unit) String() string { return u.name }

// MarshalText writes the stable name.
func (u Unit) MarshalText() ([]byte, error) { return []byte(u.name), nil }

// Anchor is the event a deadline is counted from.
type Anchor struct{ name string }

var (
	// EffectiveDate: the date the source document takes effect ("kể từ ngày
	// văn bản có hiệu lực").
	EffectiveDate = Anchor{"effective_date"}
	// DecisionDate: the date of the recruitment, appointment, election or
	// transfer decision ("kể từ ngày có quyết định").
	DecisionDate = Anchor{"decision_date"}
	// ValidPaperDossier: the day the org holds a valid paper dossier.
	ValidPaperDossier = Anchor{"valid_paper_dossier"}
	// AccountIssued: the day the person's account was issued.
	AccountIssued = Anchor{"account_issued"}
	// ChangeDate: the day personal information changed.
	ChangeDate = Anchor{"change_date"}
	// RequestReceived: the day the new org's written request arrived.
	RequestReceived = Anchor{"request_received"}
	// HandoverReceived: the day the transferred dossier was received.
	HandoverReceived = Anchor{"handover_received"}
	// ChangeRecorded: the day the change was entered in the ledger.
	ChangeRecorded = Anchor{"change_recorded"}
)

var anchors = []Anchor{EffectiveDate, DecisionDate, ValidPaperDossier, AccountIssued, ChangeDate,
	RequestReceived, HandoverReceived, ChangeRecorded}

// ParseAnchor returns the anchor named s; errors wrap domain.ErrInvalid.
func ParseAnchor(s string) (Anchor, error) {
	for _, a := range anchors {
		if a.name == s {
			return a, nil
		}
	}
	return Anchor{}, domain.Invalid("anchor", "enum", "one of "+names(anchors))
}

func (a Anchor) String() string { return a.name }

// MarshalText writes the stable name.
func (a Anchor) MarshalText() ([]byte, error) { return []byte(a.name), nil }

func names[T interface{ String() string }](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}
