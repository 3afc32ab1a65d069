package org

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/policy"
)

// MaxNameLen is the longest org name accepted, in characters: the longest
// official names ("Trung tâm Kiểm soát bệnh tật tỉnh …") stay well inside it.
const MaxNameLen = domain.MaxOrgName

// codePattern is an org code: the electronic identifier of the agency
// ("000.00.31.H56"), a budget-relationship code or a local code. Letters,
// digits and . - _ only, because codes travel in file names and URLs.
var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CreateOrg is the input of Create.
type CreateOrg struct {
	Name   string
	Code   string
	Kind   Kind
	Level  Level
	Parent domain.OrgID // zero for a root
}

// Create decides the founding of org id. It returns an error wrapping
// domain.ErrInvalid (a *domain.ValidationError naming every problem) when
// the input or its metadata breaks a rule: name and code required and well
// formed, kind and level from their lists and consistent with each other,
// no district-level org effective on or after DistrictLevelAbolished, a
// parent that is not the org itself, and an actor, an effective date and a
// valid decision in m.
func Create(id domain.OrgID, m domain.Meta, c CreateOrg) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m)
	if id.IsZero() {
		v.Add("org_id", "required", "")
	}
	name := checkName(&v, c.Name)
	code := checkCode(&v, c.Code)
	if !c.Kind.Valid() {
		v.Add("kind", "enum", fmt.Sprintf("%q is not one of %v", c.Kind, kinds))
	}
	if !c.Level.Valid() {
		v.Add("level", "enum", fmt.Sprintf("%q is not one of %v", c.Level, levels))
	}
	if want, ok := kindLevel[c.Kind]; ok && c.Level.Valid() && c.Level != want {
		v.Add("level", "kind", fmt.Sprintf("a %s is at the %s level", c.Kind, want))
	}
	if (c.Level == LevelDistrict || c.Kind == KindDistrictCommittee) && !m.EffectiveDate.IsZero() && !m.EffectiveDate.Before(DistrictLevelAbolished) {
		v.Add("level", "abolished", "the district level was abolished on "+DistrictLevelAbolished.String())
	}
	if !c.Parent.IsZero() && c.Parent == id {
		v.Add("parent", "self", "an org cannot be its own parent")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{Created{Org: id, Name: name, Code: code, Kind: c.Kind, Level: c.Level, Parent: c.Parent}}, nil
}

// Rename decides a new name (and code) from m.EffectiveDate. An empty code
// keeps the code in force on that date. Renaming to the name and code
// already in force returns no events. Errors: domain.ErrInvalid for bad
// input; domain.ErrConflict (a *domain.StateError) when the org has ended or
// the date is before its creation.
func (o *Org) Rename(m domain.Meta, name, code string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m)
	name = checkName(&v, name)
	if strings.TrimSpace(code) != "" {
		code = checkCode(&v, code)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := o.checkChange(m.EffectiveDate); err != nil {
		return nil, err
	}
	cur, _ := at(o.names, m.EffectiveDate, func(n NameEntry) domain.Date { return n.From })
	if code == "" {
		code = cur.Code
	}
	if cur.Name == name && cur.Code == code {
		return nil, nil
	}
	return []domain.Event{Renamed{Name: name, Code: code}}, nil
}

// Move decides a new parent from m.EffectiveDate; a zero parent makes the
// org a root. parentAncestry is the new parent's chain up to the root on
// that date, the parent itself included, as the caller's org tree knows it:
// when it contains this org, the move would make a cycle and is refused.
// Moving to the current parent returns no events. Errors as Rename.
func (o *Org) Move(m domain.Meta, parent domain.OrgID, parentAncestry []domain.OrgID) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m)
	if parent == o.id {
		v.Add("parent", "self", "an org cannot be its own parent")
	} else if !parent.IsZero() && slices.Contains(parentAncestry, o.id) {
		v.Add("parent", "cycle", "the new parent is below this org")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := o.checkChange(m.EffectiveDate); err != nil {
		return nil, err
	}
	cur, _ := o.ParentOn(m.EffectiveDate)
	if cur == parent {
		return nil, nil
	}
	return []domain.Event{Moved{Parent: parent, Previous: cur}}, nil
}

// Merge decides that the org ends by merging into successor. The caller
// checks that the successor exists and is active on the date. Errors as
// Rename, plus domain.ErrConflict when a change on record takes effect after
// the merger date (the org would change after it ended).
func (o *Org) Merge(m domain.Meta, successor domain.OrgID) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m)
	checkSuccessor(&v, "successor", successor, o.id)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := o.checkEnd(m.EffectiveDate); err != nil {
		return nil, err
	}
	return []domain.Event{Merged{Successor: successor}}, nil
}

// Split decides that the org ends and its dossiers go to the successors: at
// least two distinct orgs other than itself (one successor is a merger, or a
// rename). Errors as Merge.
func (o *Org) Split(m domain.Meta, successors []domain.OrgID) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m)
	if len(successors) < 2 {
		v.Add("successors", "min", "a split names at least two successors")
	}
	for i, s := range successors {
		f := fmt.Sprintf("successors/%d", i)
		checkSuccessor(&v, f, s, o.id)
		if slices.Contains(successors[:i], s) {
			v.Add(f, "duplicate", s.String())
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := o.checkEnd(m.EffectiveDate); err != nil {
		return nil, err
	}
	return []domain.Event{Split{Successors: slices.Clone(successors)}}, nil
}

// Dissolve decides that the org ends. managesDossiers is whether it still
// manages any dossier on the date (the caller reads it from the dossier read
// model); if so successor is required, so no dossier is left without a
// managing org. Errors as Merge.
func (o *Org) Dissolve(m domain.Meta, managesDossiers bool, successor domain.OrgID) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m)
	switch {
	case successor.IsZero() && managesDossiers:
		v.Add("successor", "required", "the org still manages dossiers")
	case !successor.IsZero():
		checkSuccessor(&v, "successor", successor, o.id)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := o.checkEnd(m.EffectiveDate); err != nil {
		return nil, err
	}
	return []domain.Event{Dissolved{Successor: successor, ManagedDossiers: managesDossiers}}, nil
}

// DesignateHomeAffairs decides that, from m.EffectiveDate, homeAffairs is
// this province's Department of Home Affairs (Sở Nội vụ): the org that
// approves the province's month at level 2 (Tiền Giang art. 11.3, 12). It
// replaces the designation in force, so a province has at most one at a
// time. ancestry is homeAffairs' chain up to its root on that date, itself
// included, as the caller's org tree knows it: the department must be
// inside the province. Designating the org already in force returns no
// events. Errors: domain.ErrInvalid for bad input ("home_affairs":
// required, self, outside_province); domain.ErrConflict (a
// *domain.StateError) when this org is not a province's people's committee
// ("not_province"), has ended, or the date is before its creation.
func (o *Org) DesignateHomeAffairs(m domain.Meta, homeAffairs domain.OrgID, ancestry []domain.OrgID) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m)
	switch {
	case homeAffairs.IsZero():
		v.Add("home_affairs", "required", "")
	case homeAffairs == o.id:
		v.Add("home_affairs", "self", "the province's people's committee is not its Department of Home Affairs")
	case !slices.Contains(ancestry, o.id):
		v.Add("home_affairs", "outside_province", "the department must be an org of this province")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if o.kind != KindProvinceCommittee {
		return nil, o.stateErr("not_province", "a Department of Home Affairs is designated by a province's people's committee, not a "+string(o.kind))
	}
	if err := o.checkChange(m.EffectiveDate); err != nil {
		return nil, err
	}
	if cur, ok := o.HomeAffairsOn(m.EffectiveDate); ok && cur == homeAffairs {
		return nil, nil
	}
	return []domain.Event{HomeAffairsDesignated{HomeAffairs: homeAffairs}}, nil
}

// SubmitReport records that the org submitted its report of kind for
// period (policy.ParsePeriod), the file whose SHA-256 (64 hex digits) is
// sha256, under the dispatch in m.Source, sent on m.EffectiveDate. Whether
// the policy asks for that report is the caller's question (it needs the
// policy in force). Errors: domain.ErrInvalid ("kind": enum; "period":
// format; "sha256": format); domain.ErrConflict (a *domain.StateError)
// when the org has ended, the date is before its creation, or this file
// was submitted for the period already ("already_submitted").
func (o *Org) SubmitReport(m domain.Meta, kind, period, sha256 string) ([]domain.Event, error) {
	var v domain.ValidationError
	checkMeta(&v, m)
	k, err := policy.ParseActionKind(kind)
	if err != nil || !policy.IsReport(k) {
		v.Add("kind", "enum", "report_half_year, report_year, report_quarter or report_to_moha")
	} else if _, _, err := policy.ParsePeriod(k, period); err != nil {
		v.Add("period", "format", "a period of "+kind+" (2026, 2026-H1, 2026-Q3)")
	}
	if !sha256RE.MatchString(sha256) {
		v.Add("sha256", "format", "64 lowercase hexadecimal digits")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := o.checkChange(m.EffectiveDate); err != nil {
		return nil, err
	}
	if slices.Contains(o.reports[kind+"/"+period], sha256) {
		return nil, o.stateErr("already_submitted", "this file was submitted for "+period+" already")
	}
	return []domain.Event{ReportSubmitted{Kind: kind, Period: period, SHA256: sha256}}, nil
}

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (o *Org) stateErr(rule, detail string) error {
	return &domain.StateError{Aggregate: "org", ID: o.id.String(), Rule: rule, Detail: detail}
}

// checkChange is the state check every command shares.
func (o *Org) checkChange(eff domain.Date) error {
	if !o.Active() {
		return o.stateErr("ended", fmt.Sprintf("the org was %s on %s", o.status, o.closedOn))
	}
	if eff.Before(o.created) {
		return o.stateErr("before_creation", fmt.Sprintf("effective %s is before the org was created on %s", eff, o.created))
	}
	return nil
}

// checkEnd also refuses an end that precedes a change already on record:
// the name and parent histories would otherwise describe an org that had
// ended.
func (o *Org) checkEnd(eff domain.Date) error {
	if err := o.checkChange(eff); err != nil {
		return err
	}
	if eff.Before(o.lastEff) {
		return o.stateErr("before_last_change", fmt.Sprintf("effective %s is before a change effective %s", eff, o.lastEff))
	}
	return nil
}

func checkSuccessor(v *domain.ValidationError, field string, s, self domain.OrgID) {
	switch {
	case s.IsZero():
		v.Add(field, "required", "")
	case s == self:
		v.Add(field, "self", "an org cannot succeed itself")
	}
}

// checkMeta: every org change is a decision with a date and an author.
func checkMeta(v *domain.ValidationError, m domain.Meta) {
	if m.Actor.Account.IsZero() {
		v.Add("actor/account_id", "required", "")
	}
	if m.EffectiveDate.IsZero() {
		v.Add("effective_date", "required", "")
	}
	domain.CheckImport(v, "", m)
	if m.Source.IsZero() {
		v.Add("source_document", "required", "an org change needs its decision")
	} else if err := m.Source.Validate("source_document"); err != nil {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			v.Problems = append(v.Problems, ve.Problems...)
		}
	}
}

// checkName returns the name as stored: NFC, with runs of white space
// collapsed, so the same name typed on two keyboards is the same bytes.
func checkName(v *domain.ValidationError, s string) string {
	s = strings.Join(strings.Fields(norm.NFC.String(s)), " ")
	switch {
	case s == "":
		v.Add("name", "required", "")
	case !utf8.ValidString(s):
		v.Add("name", "format", "not valid UTF-8")
	case utf8.RuneCountInString(s) > MaxNameLen:
		v.Add("name", "length", fmt.Sprintf("at most %d characters", MaxNameLen))
	default:
		domain.CheckChars(v, "name", s, false)
	}
	return s
}

func checkCode(v *domain.ValidationError, s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		v.Add("code", "required", "")
	case !codePattern.MatchString(s):
		v.Add("code", "format", "1–64 letters, digits, '.', '-' or '_'")
	}
	return s
}
