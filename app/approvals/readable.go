package approvals

import (
	"strings"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// DossierChanges is the readable view of one dossier's entries in a unit
// manifest: who changed what, on which decision. It is inside the signed
// JSON, so what an approver's client shows before signing is what is
// signed. It names field groups and tables, never their values, so it
// shows nothing the approver's role could not read and nothing a
// redacted (sensitive) field holds.
type DossierChanges struct {
	Dossier string   `json:"dossier_id"`
	Changes []Change `json:"changes"`
}

// Change is one entry of the manifest in words.
type Change struct {
	EventID       string    `json:"event_id"`
	What          string    `json:"what"`           // in Vietnamese: "Cập nhật: Chức vụ, Tiền lương"
	Who           string    `json:"who"`            // the actor's display name
	RecordedAt    string    `json:"recorded_at"`    // HH:MM dd/mm/yyyy, Hà Nội time
	EffectiveDate string    `json:"effective_date"` // dd/mm/yyyy
	Decision      *Decision `json:"decision,omitempty"`
	Reason        string    `json:"reason,omitempty"` // of a correction
}

// Decision is the document behind a change.
type Decision struct {
	Kind   string `json:"kind"`
	Number string `json:"number"`
	Date   string `json:"date"` // dd/mm/yyyy
	Issuer string `json:"issuer"`
}

// eventWords names each dossier event type in plain Vietnamese.
var eventWords = map[string]string{
	dossier.TypeCreated:                  "Lập hồ sơ",
	dossier.TypeSectionUpdated:           "Cập nhật",
	dossier.TypeRowAdded:                 "Thêm dòng",
	dossier.TypeRowAmended:               "Sửa dòng",
	dossier.TypeDocumentAttached:         "Đính kèm tài liệu",
	dossier.TypeCorrected:                "Đính chính",
	dossier.TypeTransferInitiated:        "Bắt đầu điều chuyển",
	dossier.TypeTransferReceived:         "Tiếp nhận điều chuyển",
	dossier.TypeTransferRejected:         "Từ chối tiếp nhận điều chuyển",
	dossier.TypeTransferCancelled:        "Hủy điều chuyển",
	dossier.TypeStatusChanged:            "Thay đổi tình trạng",
	dossier.TypeProposalSubmitted:        "Đề nghị cập nhật của công chức",
	dossier.TypeProposalAccepted:         "Chấp nhận đề nghị cập nhật",
	dossier.TypeProposalRejected:         "Từ chối đề nghị cập nhật",
	dossier.TypeCivilServantNumberIssued: "Cấp số hiệu công chức",
	dossier.TypeManagingOrgChanged:       "Đổi cơ quan quản lý",
	dossier.TypeReactivated:              "Khôi phục hồ sơ",
	dossier.TypeTransferRequested:        "Đề nghị điều chuyển",
}

var tableWords = map[dossier.Table]string{
	dossier.TableTraining:      "Đào tạo, bồi dưỡng",
	dossier.TableWorkHistory:   "Quá trình công tác",
	dossier.TableSalaryHistory: "Quá trình lương",
	dossier.TableFamily:        "Quan hệ gia đình",
	dossier.TableRewards:       "Khen thưởng",
	dossier.TableDiscipline:    "Kỷ luật",
	dossier.TableEvaluations:   "Đánh giá, xếp loại",
}

// sectionWords lists the patch's field groups in the form's order.
func sectionWords(p dossier.Patch) []string {
	var out []string
	for _, s := range []struct {
		set  bool
		name string
	}{
		{p.Header != nil, "Thông tin chung"}, {p.Identity != nil, "Nhân thân"}, {p.Background != nil, "Xuất thân"},
		{p.Qualifications != nil, "Trình độ"}, {p.Position != nil, "Chức vụ, công việc"}, {p.Salary != nil, "Tiền lương"},
		{p.Health != nil, "Sức khỏe"}, {p.PersonalHistory != nil, "Lịch sử bản thân"}, {p.Income != nil, "Thu nhập, nhà đất"},
		{p.PartyUnions != nil, "Đảng, đoàn thể"}, {p.Insurance != nil, "Bảo hiểm"}, {p.Other != nil, "Thông tin khác"},
	} {
		if s.set {
			out = append(out, s.name)
		}
	}
	for _, r := range p.Rows {
		out = append(out, tableWords[r.Table])
	}
	return out
}

// changeOf describes the recorded dossier event r.
func changeOf(r domain.Recorded, eventType string) Change {
	what, ok := eventWords[eventType]
	if !ok {
		what = eventType
	}
	var groups []string
	switch e := r.Event.(type) {
	case dossier.SectionUpdated:
		groups = sectionWords(e.Patch)
	case dossier.Corrected:
		groups = sectionWords(e.Patch)
	case dossier.RowAdded:
		groups = []string{tableWords[e.Row.Table]}
	case dossier.RowAmended:
		groups = []string{tableWords[e.Row.Table]}
	}
	if len(groups) > 0 {
		what += ": " + strings.Join(groups, ", ")
	}
	c := Change{EventID: r.ID.String(), What: what, Who: r.Meta.Actor.Name,
		RecordedAt: r.Meta.RecordedAt.In(domain.VietnamZone).Format("15:04 02/01/2006"), Reason: r.Meta.Reason}
	if !r.Meta.EffectiveDate.IsZero() {
		c.EffectiveDate = r.Meta.EffectiveDate.Vietnamese()
	}
	if s := r.Meta.Source; !s.IsZero() {
		c.Decision = &Decision{Kind: s.Kind, Number: s.Number, Issuer: s.Issuer}
		if !s.Date.IsZero() {
			c.Decision.Date = s.Date.Vietnamese()
		}
	}
	return c
}

// groupChanges keeps the first-seen order of dossiers and, within each,
// the manifest's order.
type changeGroups struct {
	order []string
	by    map[string]*DossierChanges
}

func (g *changeGroups) add(stream string, c Change) {
	if g.by == nil {
		g.by = map[string]*DossierChanges{}
	}
	d, ok := g.by[stream]
	if !ok {
		d = &DossierChanges{Dossier: strings.TrimPrefix(stream, "dossier-")}
		g.by[stream] = d
		g.order = append(g.order, stream)
	}
	d.Changes = append(d.Changes, c)
}

func (g *changeGroups) list() []DossierChanges {
	out := make([]DossierChanges, 0, len(g.order))
	for _, s := range g.order {
		out = append(out, *g.by[s])
	}
	return out
}
