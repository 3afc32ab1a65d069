package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
)

// Org routes. Anyone with a grant over an org sees it and everything below
// it (an HR officer picks managing orgs from that tree); changing the tree
// takes the admin role (ActionManageOrgs) over every org the act touches:
// the org, and its new parent or successors. An org outside the caller's
// view answers 404 in the path and 422 "unknown" in a body, as one that
// does not exist. Root orgs are made by `hoso accounts bootstrap-admin`,
// not through the API.

// orgSummary is one org of the tree, as it stands now.
type orgSummary struct {
	ID         string       `json:"id"`
	Code       string       `json:"code"`
	Name       string       `json:"name"`
	Kind       string       `json:"kind"`
	Level      string       `json:"level"`
	Parent     string       `json:"parent,omitempty"` // absent for a root
	Status     string       `json:"status"`           // active, merged, split, dissolved
	Successors []string     `json:"successors"`
	CreatedOn  domain.Date  `json:"created_on"`
	ClosedOn   *domain.Date `json:"closed_on,omitempty"`
	// HomeAffairs is a province's designated Department of Home Affairs
	// (Sở Nội vụ), the one org that approves its month at level 2.
	HomeAffairs string `json:"home_affairs,omitempty"`
}

// orgView is one org with its history of names and parents, from the ledger.
type orgView struct {
	orgSummary
	Version uint64        `json:"version"`
	Names   []nameEntry   `json:"names"`
	Parents []parentEntry `json:"parents"`
	// HomeAffairsHistory: a province's designations, oldest first.
	HomeAffairsHistory []homeAffairsEntry `json:"home_affairs_history,omitempty"`
	// StaffingQuotas: the org's staffing quota decisions by effective
	// date (staffing.go).
	StaffingQuotas []quotaEntry `json:"staffing_quotas,omitempty"`
}

type homeAffairsEntry struct {
	From        domain.Date `json:"from"`
	HomeAffairs string      `json:"home_affairs"`
}

type nameEntry struct {
	From domain.Date `json:"from"`
	Name string      `json:"name"`
	Code string      `json:"code"`
}

type parentEntry struct {
	From   domain.Date `json:"from"`
	Parent string      `json:"parent,omitempty"`
}

func idStrings(ids []domain.OrgID) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, id.String())
	}
	return out
}

func optionalID(id domain.OrgID) string {
	if id.IsZero() {
		return ""
	}
	return id.String()
}

func viewOrg(o *org.Org) orgView {
	v := orgView{Version: o.Version(), Names: []nameEntry{}, Parents: []parentEntry{},
		orgSummary: orgSummary{ID: o.ID().String(), Code: o.Code(), Name: o.Name(), Kind: string(o.Kind()), Level: string(o.Level()),
			Parent: optionalID(o.Parent()), Status: string(o.Status()), Successors: idStrings(o.Successors()),
			CreatedOn: o.CreatedOn(), ClosedOn: datePtr(o.ClosedOn())}}
	for _, n := range o.Names() {
		v.Names = append(v.Names, nameEntry{From: n.From, Name: n.Name, Code: n.Code})
	}
	for _, p := range o.Parents() {
		v.Parents = append(v.Parents, parentEntry{From: p.From, Parent: optionalID(p.Parent)})
	}
	for _, h := range o.HomeAffairs() {
		v.HomeAffairsHistory = append(v.HomeAffairsHistory, homeAffairsEntry{From: h.From, HomeAffairs: h.Org.String()})
		v.HomeAffairs = h.Org.String() // the one in force at the latest date: the history is sorted
	}
	v.StaffingQuotas = viewQuotas(o)
	return v
}

// canSee: some grant of the caller, whatever its role, covers the org.
func canSee(caller *Caller, o domain.OrgID) bool {
	for _, a := range account.Actions() {
		if caller.Can(a, o) {
			return true
		}
	}
	return false
}

// visibleRoots are the orgs of the caller's org grants, of any role.
func visibleRoots(caller *Caller) []domain.OrgID {
	var out []domain.OrgID
	for _, g := range caller.Grants {
		if g.Role != account.RoleSelf && !g.Org.IsZero() && !slices.Contains(out, g.Org) {
			out = append(out, g.Org)
		}
	}
	return out
}

type orgList struct {
	Orgs []orgSummary `json:"orgs"`
}

// listOrgs: GET /orgs[?status=active] → 200 {orgs: [...]}, the subtrees of
// the caller's grants as the org read model has them, ended orgs included
// unless status=active, ordered by name.
func (s *Server) listOrgs(c echo.Context) error {
	status := c.QueryParam("status")
	if status != "" && status != "active" && status != "all" {
		return BadParameter("query:status", "enum", `"active" or "all"`)
	}
	ctx := c.Request().Context()
	visible, err := s.deps.Views.OrgSubtree(ctx, visibleRoots(CallerOf(c)))
	if err != nil {
		return err
	}
	out := orgList{Orgs: []orgSummary{}}
	if len(visible) > 0 {
		all, err := s.deps.Views.OrgTree(ctx)
		if err != nil {
			return err
		}
		for _, o := range all {
			if _, ok := slices.BinarySearchFunc(visible, o.ID, compareOrgIDs); !ok {
				continue
			}
			if status == "active" && o.Status != org.StatusActive {
				continue
			}
			out.Orgs = append(out.Orgs, orgSummary{ID: o.ID.String(), Code: o.Code, Name: o.Name, Kind: string(o.Kind),
				Level: string(o.Level), Parent: optionalID(o.Parent), Status: string(o.Status), Successors: idStrings(o.Successors),
				CreatedOn: o.CreatedOn, ClosedOn: datePtr(o.ClosedOn), HomeAffairs: optionalID(o.HomeAffairs)})
		}
	}
	return c.JSON(http.StatusOK, out)
}

// compareOrgIDs orders as orgs.Subtree does (PostgreSQL's uuid order, which
// is byte order).
func compareOrgIDs(a, b domain.OrgID) int {
	return slices.Compare(a[:], b[:])
}

// orgInPath loads the path's org if the caller may do action on it (any
// grant when action is empty); 404 otherwise.
// orgToManage is orgInPath for the org-management writes.
func (s *Server) orgToManage(c echo.Context) (*org.Org, error) {
	return s.orgInPath(c, account.ActionManageOrgs)
}

func (s *Server) orgInPath(c echo.Context, action account.Action) (*org.Org, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	caller := CallerOf(c)
	oid := domain.OrgID(id)
	allowed := canSee(caller, oid)
	if action != "" {
		allowed = caller.Can(action, oid)
	}
	if !allowed {
		return nil, notFound
	}
	o, err := s.deps.Orgs.Get(c.Request().Context(), oid)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, notFound
	}
	return o, err
}

func (s *Server) getOrg(c echo.Context) error {
	o, err := s.orgInPath(c, "")
	if err != nil {
		return err
	}
	SetETag(c, o.Version())
	return c.JSON(http.StatusOK, viewOrg(o))
}

func (s *Server) respondOrg(c echo.Context, status int, id domain.OrgID) error {
	o, err := s.deps.Orgs.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	SetETag(c, o.Version())
	return c.JSON(status, viewOrg(o))
}

// managedOrg checks that the caller manages an org named in a body.
func managedOrg(c echo.Context, field string, id domain.OrgID) error {
	if !id.IsZero() && !CallerOf(c).Can(account.ActionManageOrgs, id) {
		return unknownRef(field)
	}
	return nil
}

type createOrgRequest struct {
	Name   string `json:"name"`
	Code   string `json:"code"`
	Kind   string `json:"kind"`
	Level  string `json:"level"`
	Parent string `json:"parent"`
	decision
}

// createOrg: POST /orgs → 201 with the org, Location and ETag.
func (s *Server) createOrg(c echo.Context) error {
	var req createOrgRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var f fields
	parent := domain.OrgID(f.id("/parent", req.Parent))
	if req.Parent == "" {
		f.add("/parent", "required", "root orgs are created with `hoso accounts bootstrap-admin`")
	}
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	if err := managedOrg(c, "/parent", parent); err != nil {
		return err
	}
	id := domain.OrgID(uuid.Must(uuid.NewV7()))
	if _, err := s.deps.Orgs.Create(c.Request().Context(), id, org.CreateOrg{Name: req.Name, Code: req.Code,
		Kind: org.Kind(req.Kind), Level: org.Level(req.Level), Parent: parent}, m); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/orgs/"+id.String())
	return s.respondOrg(c, http.StatusCreated, id)
}

type renameOrgRequest struct {
	Name string `json:"name"`
	Code string `json:"code,omitempty"` // omitted: the code stays
	decision
}

// renameOrg: POST /orgs/{id}/rename (If-Match) → 200.
func (s *Server) renameOrg(c echo.Context) error {
	o, ifMatch, req, err := pathWrite[renameOrgRequest](c, s.orgToManage)
	if err != nil {
		return err
	}
	var f fields
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	if _, err := s.deps.Orgs.Rename(c.Request().Context(), o.ID(), ifMatch, req.Name, req.Code, m); err != nil {
		return err
	}
	return s.respondOrg(c, http.StatusOK, o.ID())
}

type moveOrgRequest struct {
	Parent string `json:"parent"`
	decision
}

// moveOrg: POST /orgs/{id}/move (If-Match) → 200.
func (s *Server) moveOrg(c echo.Context) error {
	o, ifMatch, req, err := pathWrite[moveOrgRequest](c, s.orgToManage)
	if err != nil {
		return err
	}
	var f fields
	parent := domain.OrgID(f.id("/parent", req.Parent))
	if req.Parent == "" {
		f.add("/parent", "required", "an org cannot be made a root through the API")
	}
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	if err := managedOrg(c, "/parent", parent); err != nil {
		return err
	}
	if _, err := s.deps.Orgs.Move(c.Request().Context(), o.ID(), ifMatch, parent, m); err != nil {
		return err
	}
	return s.respondOrg(c, http.StatusOK, o.ID())
}

type homeAffairsRequest struct {
	HomeAffairs string `json:"home_affairs"`
	decision
}

// designateHomeAffairs: POST /orgs/{id}/home-affairs (If-Match) → 200. The
// path names a province's people's committee; the body, on its decision,
// the department that is from then on its Department of Home Affairs (Sở
// Nội vụ), which alone approves the province's month at level 2. It takes
// the admin role over both.
func (s *Server) designateHomeAffairs(c echo.Context) error {
	o, ifMatch, req, err := pathWrite[homeAffairsRequest](c, s.orgToManage)
	if err != nil {
		return err
	}
	var f fields
	doh := domain.OrgID(f.id("/home_affairs", req.HomeAffairs))
	if req.HomeAffairs == "" {
		f.add("/home_affairs", "required", "")
	}
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	if err := managedOrg(c, "/home_affairs", doh); err != nil {
		return err
	}
	if _, err := s.deps.Orgs.DesignateHomeAffairs(c.Request().Context(), o.ID(), ifMatch, doh, m); err != nil {
		return err
	}
	return s.respondOrg(c, http.StatusOK, o.ID())
}

// endResponse answers a merger, split or dissolution: the org as it ended,
// and the process that moves its dossiers (202, Location: the process).
type endResponse struct {
	Org     orgView      `json:"org"`
	Process *processView `json:"process,omitempty"` // absent for a dissolution without successor
}

// respondEnd answers an org's end. With a successor the dossiers' moves
// are a process (package processes): the request registers it and answers
// 202 with its address; it never waits for the moves. Should registering
// fail, the decision is stored all the same and the process manager finds
// it in the log.
func (s *Server) respondEnd(c echo.Context, id domain.OrgID, succession bool) error {
	ctx := c.Request().Context()
	var pv *processView
	status := http.StatusOK
	if succession {
		st, err := s.deps.Processes.Start(ctx, id)
		if err != nil {
			return err
		}
		v := viewProcess(st)
		pv, status = &v, http.StatusAccepted
		c.Response().Header().Set(echo.HeaderLocation, processPath(st.ID))
	}
	o, err := s.deps.Orgs.Get(ctx, id)
	if err != nil {
		return err
	}
	SetETag(c, o.Version())
	return c.JSON(status, endResponse{Org: viewOrg(o), Process: pv})
}

// successorRequest names the org that takes over: required for a merger,
// and for a dissolution while the org still manages dossiers.
type successorRequest struct {
	Successor string `json:"successor,omitempty"`
	decision
}

// mergeOrg: POST /orgs/{id}/merge (If-Match) → 202 {org, process}.
func (s *Server) mergeOrg(c echo.Context) error {
	return s.endOrgWithSuccessor(c, s.deps.Orgs.Merge)
}

// endOrgWithSuccessor runs a merger or a dissolution: both end the org in
// the path and name at most one successor, which must be an org the caller
// manages. The answer carries the process when there is a successor.
func (s *Server) endOrgWithSuccessor(c echo.Context,
	end func(ctx context.Context, id domain.OrgID, ifMatch uint64, successor domain.OrgID, m domain.Meta) (eventstore.AppendResult, error)) error {
	o, ifMatch, req, err := pathWrite[successorRequest](c, s.orgToManage)
	if err != nil {
		return err
	}
	var f fields
	succ := domain.OrgID(f.id("/successor", req.Successor))
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	if err := managedOrg(c, "/successor", succ); err != nil {
		return err
	}
	if _, err := end(c.Request().Context(), o.ID(), ifMatch, succ, m); err != nil {
		return err
	}
	return s.respondEnd(c, o.ID(), !succ.IsZero())
}

type splitOrgRequest struct {
	Successors []string `json:"successors"`
	decision
}

// splitOrg: POST /orgs/{id}/split (If-Match) → 202 {org, process}.
func (s *Server) splitOrg(c echo.Context) error {
	o, ifMatch, req, err := pathWrite[splitOrgRequest](c, s.orgToManage)
	if err != nil {
		return err
	}
	var f fields
	succ := make([]domain.OrgID, len(req.Successors))
	for i, raw := range req.Successors {
		succ[i] = domain.OrgID(f.id("/successors/"+strconv.Itoa(i), raw))
	}
	m := s.commandMeta(c, &f, req.decision, "")
	if err := f.err(); err != nil {
		return err
	}
	for i, id := range succ {
		if err := managedOrg(c, "/successors/"+strconv.Itoa(i), id); err != nil {
			return err
		}
	}
	if _, err := s.deps.Orgs.Split(c.Request().Context(), o.ID(), ifMatch, succ, m); err != nil {
		return err
	}
	return s.respondEnd(c, o.ID(), true)
}

// dissolveOrg: POST /orgs/{id}/dissolve (If-Match) → 202 {org, process}
// with a successor, 200 {org} without.
func (s *Server) dissolveOrg(c echo.Context) error {
	return s.endOrgWithSuccessor(c, s.deps.Orgs.Dissolve)
}
