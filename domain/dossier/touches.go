package dossier

import "github.com/hoso-ledger/hoso/domain"

// Touches names the top-level sections of the Document (by their JSON
// names) that folding e with Next can change; all is true when any may
// change (a creation, a correction, which refolds the history, and any
// event not named here). A reader that diffs the document before and after
// an event compares only these: most events change one section of a large
// document. It states what apply does, and TestReplayIsDeterministic holds
// the two together on random histories.
func Touches(e domain.Event) (sections []string, all bool) {
	switch e := e.(type) {
	case SectionUpdated:
		return e.Patch.sections(), false
	case ProposalAccepted:
		return e.Patch.sections(), false
	case RowAdded:
		return []string{string(e.Row.Table)}, false
	case RowAmended:
		return []string{string(e.Row.Table)}, false
	case DocumentAttached:
		return []string{"attachments"}, false
	case TransferInitiated, TransferReceived, TransferRejected, TransferCancelled, StatusChanged,
		ProposalSubmitted, ProposalRejected, CivilServantNumberIssued, ManagingOrgChanged, Reactivated:
		return []string{"header"}, false
	}
	return nil, true
}

// sections are the JSON names of the Document sections p sets.
func (p Patch) sections() []string {
	var out []string
	for name, set := range map[string]bool{
		"header": p.Header != nil, "identity": p.Identity != nil, "background": p.Background != nil,
		"qualifications": p.Qualifications != nil, "position": p.Position != nil, "salary": p.Salary != nil,
		"health": p.Health != nil, "personal_history": p.PersonalHistory != nil, "income": p.Income != nil,
		"party_unions": p.PartyUnions != nil, "insurance": p.Insurance != nil, "other": p.Other != nil,
		"labour_contract": p.LabourContract != nil,
	} {
		if set {
			out = append(out, name)
		}
	}
	for _, r := range p.Rows {
		out = append(out, string(r.Table))
	}
	return out
}
