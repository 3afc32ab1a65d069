package api

import (
	"encoding/json"
	"strings"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// sensitivePaths are the parts of a dossier's document that only callers
// entitled to read_sensitive see (Law 91/2025: ethnicity, religion, health,
// criminal and personal history; identity numbers; family relations).
// Party membership is political affiliation, sensitive like ethnicity and
// religion (PDPL 91/2025 art. 2.4, Decree 356/2025): the admission and
// confirmation dates, the party cell and the party post.
// They are JSON pointers into dossier.Document, the same paths the audit
// trail's diffs use, so one list redacts documents and diffs alike.
var sensitivePaths = []string{
	"/header/personal_id_number",
	"/identity/ethnicity",
	"/identity/religion",
	"/identity/citizen_id_issued_on",
	"/identity/citizen_id_issued_by",
	"/background/party_admitted_on",
	"/background/party_confirmed_on",
	"/position/party",
	"/party_unions/party_cell",
	"/health",
	"/personal_history",
	"/family",
	"/insurance/social_insurance_number",
	"/insurance/health_insurance_number",
	"/party_unions/party_card_number",
}

// isSensitivePath reports whether a JSON pointer into a document falls in a
// sensitive part.
func isSensitivePath(p string) bool {
	for _, s := range sensitivePaths {
		if p == s || strings.HasPrefix(p, s+"/") {
			return true
		}
	}
	return false
}

// redactDocument blanks the sensitive parts of doc (a copy).
func redactDocument(doc dossier.Document) dossier.Document {
	doc.Header.PersonalIDNumber = ""
	doc.Identity.Ethnicity = ""
	doc.Identity.Religion = ""
	doc.Identity.CitizenIDIssuedOn = domain.Date{}
	doc.Identity.CitizenIDIssuedBy = ""
	doc.Background.PartyAdmittedOn = domain.Date{}
	doc.Background.PartyConfirmedOn = domain.Date{}
	doc.Position.Party = ""
	doc.PartyUnions.PartyCell = ""
	doc.Health = dossier.Health{}
	doc.PersonalHistory = dossier.PersonalHistory{}
	doc.Family = []dossier.FamilyRow{}
	doc.Insurance.SocialInsuranceNumber = ""
	doc.Insurance.HealthInsuranceNumber = ""
	doc.PartyUnions.PartyCardNumber = ""
	return doc
}

// redactPatch blanks the sensitive parts of a patch (for proposals shown to
// readers without read_sensitive); it never writes into p's sections.
func redactPatch(p dossier.Patch) dossier.Patch {
	if p.Header != nil {
		h := *p.Header
		h.PersonalIDNumber = ""
		p.Header = &h
	}
	if p.Identity != nil {
		x := *p.Identity
		x.Ethnicity, x.Religion, x.CitizenIDIssuedBy, x.CitizenIDIssuedOn = "", "", "", domain.Date{}
		p.Identity = &x
	}
	if p.Background != nil {
		x := *p.Background
		x.PartyAdmittedOn, x.PartyConfirmedOn = domain.Date{}, domain.Date{}
		p.Background = &x
	}
	if p.Position != nil {
		x := *p.Position
		x.Party = ""
		p.Position = &x
	}
	p.Health, p.PersonalHistory = nil, nil
	if p.Insurance != nil {
		x := *p.Insurance
		x.SocialInsuranceNumber, x.HealthInsuranceNumber = "", ""
		p.Insurance = &x
	}
	if p.PartyUnions != nil {
		x := *p.PartyUnions
		x.PartyCardNumber, x.PartyCell = "", ""
		p.PartyUnions = &x
	}
	var rows []dossier.Row
	for _, r := range p.Rows {
		if r.Table != dossier.TableFamily {
			rows = append(rows, r)
		}
	}
	p.Rows = rows
	return p
}

// payloadIsPlain lists the event types whose payload holds no personal
// data (ids, kinds, statuses, document references): their recorded data is
// shown to every reader of the trail. Others are shown only to callers who
// may read the dossier's sensitive fields; the diff, filtered, says what
// they changed.
var payloadIsPlain = map[string]bool{
	dossier.TypeTransferInitiated:        true,
	dossier.TypeTransferReceived:         true,
	dossier.TypeTransferRejected:         true,
	dossier.TypeTransferCancelled:        true,
	dossier.TypeStatusChanged:            true,
	dossier.TypeCivilServantNumberIssued: true,
	dossier.TypeManagingOrgChanged:       true,
	dossier.TypeReactivated:              true,
	dossier.TypeDocumentAttached:         true,
	dossier.TypeProposalRejected:         true,
}

// redactData returns the payload a reader may see: all of it when
// sensitive, else only plain payloads (nil otherwise).
func redactData(eventType string, data json.RawMessage, sensitive bool) json.RawMessage {
	if sensitive || payloadIsPlain[eventType] || !strings.HasPrefix(eventType, "dossier.") {
		return data
	}
	return nil
}
