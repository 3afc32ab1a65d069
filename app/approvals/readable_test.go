package approvals_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// TestManifestReadableView: the signed manifest says, per dossier, who
// changed which field groups on which decision, in Vietnamese, with
// Vietnamese dates, and never a field's value.
func TestManifestReadableView(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rw := newRemoteWorld(t, approvals.Config{})
	d := rw.w.dossier(t, rw.unit, rw.day(12))
	m := at(rw.day(13))
	m.Actor.ActingOrg, m.Actor.Name = rw.unit, "Trần Thị Nhân Sự"
	m.Source = domain.SourceDocument{Kind: "decision", Number: "77/QĐ-SYT", Date: domain.DateOf(rw.day(13)), Issuer: "Sở Y tế"}
	secret := "Điều trị bệnh XYZ-bí-mật"
	if _, err := rw.w.dossiers.UpdateSection(ctx, d, 1, dossier.Patch{Position: &dossier.Position{Current: "Trưởng phòng"}, Health: &dossier.Health{Status: secret}}, m); err != nil {
		t.Fatal(err)
	}
	served, err := rw.svc.Manifest(ctx, rw.unit, rw.month, approval.LevelUnit, domain.Meta{Actor: domain.Actor{Account: admin}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(served.Bytes), secret) {
		t.Fatal("the manifest shows a field's value")
	}
	back, err := approvals.ParseManifest(served.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Changes) != 2 {
		t.Fatalf("changes of %d dossiers, want 2: %+v", len(back.Changes), back.Changes)
	}
	n := 0
	for _, dc := range back.Changes {
		n += len(dc.Changes)
	}
	if n != back.Count {
		t.Errorf("%d changes for %d entries", n, back.Count)
	}
	got := back.Changes[1]
	if got.Dossier != d.String() || len(got.Changes) != 2 {
		t.Fatalf("the second dossier's changes: %+v", got)
	}
	want := approvals.Change{EventID: got.Changes[1].EventID, What: "Cập nhật: Chức vụ, công việc, Sức khỏe", Who: "Trần Thị Nhân Sự",
		RecordedAt: rw.day(13).In(domain.VietnamZone).Format("15:04 02/01/2006"), EffectiveDate: domain.DateOf(rw.day(13)).Vietnamese(),
		Decision: &approvals.Decision{Kind: "decision", Number: "77/QĐ-SYT", Date: domain.DateOf(rw.day(13)).Vietnamese(), Issuer: "Sở Y tế"}}
	if c := got.Changes[1]; c.What != want.What || c.Who != want.Who || c.RecordedAt != want.RecordedAt || c.EffectiveDate != want.EffectiveDate || *c.Decision != *want.Decision {
		t.Errorf("change = %+v %+v, want %+v %+v", c, c.Decision, want, want.Decision)
	}
	if c := got.Changes[0]; c.What != "Lập hồ sơ" || c.Who != "Lê Văn Quản" || c.Decision == nil || c.Decision.Number != "12/QĐ-UBND" {
		t.Errorf("creation = %+v", c)
	}
}
