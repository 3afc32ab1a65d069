package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/api/auth"
)

// Access is what a route asks of its caller.
type Access uint8

const (
	// Public routes take no token: the probes, login, the OpenAPI document.
	Public Access = iota
	// Pending routes take a token, even one whose account must first change
	// the password an administrator set: /me (a client learns why),
	// logout, and the change itself.
	Pending
	// Authenticated routes take a token of an account in good standing.
	// Deny by default: every route but the few above is one.
	Authenticated
)

func (a Access) String() string {
	switch a {
	case Public:
		return "public"
	case Pending:
		return "pending"
	}
	return "authenticated"
}

// Route is one route of the server: its method, its path as Echo mounts it
// ("/api/v1/dossiers/:id") and what it asks of the caller.
type Route struct {
	Method string
	Path   string
	Access Access
}

// Key is "METHOD /path/:param", the route's name in routeParams.
func (r Route) Key() string { return routeKey(r.Method, r.Path) }

type route struct {
	Route
	handler echo.HandlerFunc
}

// Routes is every route the server mounts, from the one table below: what
// api/openapi.yaml must describe, no more and no less (the OpenAPI tests
// check both directions without starting a server).
func Routes() []Route {
	s := &Server{deps: &Deps{}}
	table := s.routeTable()
	out := make([]Route, len(table))
	for i, r := range table {
		out[i] = r.Route
	}
	return out
}

// routeTable is every route of the server, in one place. Adding a route
// is a line here, its path in api/openapi.yaml (TestRoutesMatchOpenAPI),
// its query parameters in routeParams (TestQueryParamsMatchOpenAPI) and
// its row in the access matrix (api/matrix_test.go).
func (s *Server) routeTable() []route {
	const (
		get, post, put, patch = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch
		v1                    = "/api/v1"
	)
	deps := s.deps
	if deps == nil { // only the probes are mounted
		deps = &Deps{}
	}
	sessions := &sessionRoutes{s: s, throttle: auth.NewLoginThrottle(deps.Throttle)}
	if s.cfg.OIDC.Enabled() {
		sessions.oidc = &oidcVerifier{cfg: s.cfg.OIDC, now: deps.now}
	}
	ap := approvalHandlers{s: s, r: approvalDeps{Approvals: deps.Approvals, Tree: deps.Tree, Checkpoints: deps.Checkpoints}}
	r := func(method, path string, access Access, h echo.HandlerFunc) route {
		return route{Route{Method: method, Path: path, Access: access}, h}
	}
	return []route{
		// Probes, for the orchestrator; served even without Deps.
		r(get, "/healthz", Public, s.healthz),
		r(get, "/readyz", Public, s.readyz),

		r(get, v1+"/openapi.json", Public, serveOpenAPI),

		// Sessions.
		r(post, v1+"/auth/login", Public, sessions.login),
		r(post, v1+"/auth/logout", Pending, sessions.logout),
		r(post, v1+"/auth/password", Pending, sessions.changePassword),
		r(post, v1+"/auth/oidc", Public, sessions.oidcLogin),
		r(get, v1+"/me", Pending, sessions.me),

		// Accounts (accounts.go): the scope of an administrator is the
		// accounts whose home org lies in the subtree of an admin grant.
		r(post, v1+"/accounts", Authenticated, s.createAccount),
		r(get, v1+"/accounts", Authenticated, s.listAccounts),
		r(get, v1+"/accounts/:id", Authenticated, s.getAccount),
		r(post, v1+"/accounts/:id/password-reset", Authenticated, s.resetPassword),
		r(post, v1+"/accounts/:id/grants", Authenticated, s.grantRole),
		r(post, v1+"/accounts/:id/grants/:grant/extend", Authenticated, s.extendGrant),
		r(post, v1+"/accounts/:id/grants/:grant/revoke", Authenticated, s.revokeGrant),
		r(post, v1+"/accounts/:id/restrict", Authenticated, s.restrictAccount),
		r(post, v1+"/accounts/:id/reinstate", Authenticated, s.reinstateAccount),
		r(post, v1+"/accounts/:id/close", Authenticated, s.closeAccount),
		r(post, v1+"/accounts/:id/api-keys", Authenticated, s.issueAPIKey),
		r(post, v1+"/accounts/:id/api-keys/:key/revoke", Authenticated, s.revokeAPIKey),
		r(post, v1+"/accounts/:id/certificates", Authenticated, s.registerCertificate),
		r(post, v1+"/accounts/:id/certificates/:fingerprint/revoke", Authenticated, s.revokeCertificate),
		r(post, v1+"/accounts/:id/oidc-links", Authenticated, s.linkOIDC),
		r(post, v1+"/accounts/:id/oidc-links/:link/revoke", Authenticated, s.unlinkOIDC),

		// The org tree (orgs.go).
		r(get, v1+"/orgs", Authenticated, s.listOrgs),
		r(post, v1+"/orgs", Authenticated, s.createOrg),
		r(get, v1+"/orgs/:id", Authenticated, s.getOrg),
		r(post, v1+"/orgs/:id/rename", Authenticated, s.renameOrg),
		r(post, v1+"/orgs/:id/move", Authenticated, s.moveOrg),
		r(post, v1+"/orgs/:id/home-affairs", Authenticated, s.designateHomeAffairs),
		r(post, v1+"/orgs/:id/merge", Authenticated, s.mergeOrg),
		r(post, v1+"/orgs/:id/split", Authenticated, s.splitOrg),
		r(post, v1+"/orgs/:id/dissolve", Authenticated, s.dissolveOrg),
		r(post, v1+"/orgs/:id/staffing-quotas", Authenticated, s.assignStaffingQuota),

		// Long work beside the requests (processes.go).
		r(get, v1+"/processes/:id", Authenticated, s.getProcess),

		// Dossiers, their attachments and transfers.
		r(post, v1+"/dossiers", Authenticated, s.createDossier),
		r(get, v1+"/dossiers", Authenticated, s.listDossiers),
		r(get, v1+"/dossiers/:id", Authenticated, s.getDossier),
		r(patch, v1+"/dossiers/:id", Authenticated, s.updateDossierSections),
		r(post, v1+"/dossiers/:id/rows", Authenticated, s.addDossierRow),
		r(put, v1+"/dossiers/:id/rows/:row", Authenticated, s.amendDossierRow),
		r(post, v1+"/dossiers/:id/corrections", Authenticated, s.correctDossier),
		r(post, v1+"/dossiers/:id/status", Authenticated, s.changeDossierStatus),
		r(post, v1+"/dossiers/:id/reactivate", Authenticated, s.reactivateDossier),
		r(post, v1+"/dossiers/:id/civil-servant-number", Authenticated, s.issueCivilServantNumber),
		r(post, v1+"/dossiers/:id/proposals", Authenticated, s.submitProposal),
		r(post, v1+"/dossiers/:id/proposals/:proposal/accept", Authenticated, s.acceptProposal),
		r(post, v1+"/dossiers/:id/proposals/:proposal/reject", Authenticated, s.rejectProposal),
		r(post, v1+"/dossiers/:id/attachments", Authenticated, s.uploadAttachment),
		r(get, v1+"/attachments/:sha256", Authenticated, s.downloadAttachment),
		r(post, v1+"/dossiers/:id/transfers", Authenticated, s.initiateTransfer),
		r(get, v1+"/transfers", Authenticated, s.listTransfers),
		r(get, v1+"/transfers/:id", Authenticated, s.getTransfer),
		r(post, v1+"/transfers/:id/receive", Authenticated, s.receiveTransfer),
		r(post, v1+"/transfers/:id/reject", Authenticated, s.rejectTransfer),
		r(post, v1+"/transfers/:id/cancel", Authenticated, s.cancelTransfer),
		r(post, v1+"/transfer-requests", Authenticated, s.requestTransfer),
		r(get, v1+"/dossiers/:id/history", Authenticated, s.dossierHistory),
		r(get, v1+"/dossiers/:id/consents", Authenticated, s.listConsents),
		r(post, v1+"/dossiers/:id/consents", Authenticated, s.recordConsent),
		r(post, v1+"/dossiers/:id/consents/:consent/withdraw", Authenticated, s.withdrawConsent),

		// Inspection and reports.
		r(get, v1+"/audit", Authenticated, s.auditTrail),
		r(get, v1+"/audit/reads", Authenticated, s.readLog),
		r(get, v1+"/archive", Authenticated, s.listArchive),
		r(get, v1+"/compliance/items", Authenticated, s.complianceItems),
		r(get, v1+"/compliance/overdue", Authenticated, s.complianceOverdue),
		r(get, v1+"/compliance/summary", Authenticated, s.complianceSummary),
		r(get, v1+"/compliance/approvals", Authenticated, s.complianceApprovals),
		r(get, v1+"/reports/headcount", Authenticated, s.headcount),
		// Report due dates and submissions (report_duties.go).
		r(get, v1+"/compliance/reports", Authenticated, s.complianceReports),
		r(post, v1+"/reports/:kind/:period/submissions", Authenticated, s.submitReport),

		// Monthly approvals, proofs and checkpoints (approvals.go, proofs.go).
		r(get, v1+"/approvals/:org/:month/manifest", Authenticated, ap.manifest),
		r(post, v1+"/approvals/:org/:month/signature", Authenticated, ap.signature),
		r(get, v1+"/approvals/:org/:month", Authenticated, ap.status),
		r(get, v1+"/proofs/inclusion", Authenticated, ap.inclusion),
		r(get, v1+"/proofs/consistency", Authenticated, ap.consistency),
		r(get, v1+"/checkpoints/latest", Authenticated, ap.latestCheckpoint),

		// Signing through a remote hash-signing service (approvals_remote.go).
		r(post, v1+"/approvals/:org/:month/signature/prepare", Authenticated, ap.prepareSignature),
		r(post, v1+"/approvals/:org/:month/signature/complete", Authenticated, ap.completeSignature),
		// Documents (documents.go): the CV form as PDF, the signed export.
		r(get, v1+"/dossiers/:id/cv.pdf", Authenticated, s.getDossierCV),
		r(get, v1+"/dossiers/:id/export", Authenticated, s.exportDossier),
		// Deliveries to the national database (sync.go).
		r(get, v1+"/sync/packages", Authenticated, s.listSyncPackages),
		r(get, v1+"/sync/packages/:id", Authenticated, s.getSyncPackage),
		// Bulk import of an org's existing dossiers (imports.go).
		r(post, v1+"/imports", Authenticated, s.startImport),
		r(get, v1+"/imports/:id", Authenticated, s.getImport),
		r(get, v1+"/imports/:id/report.xlsx", Authenticated, s.importReport("xlsx")),
		r(get, v1+"/imports/:id/report.json", Authenticated, s.importReport("json")),
		// Suspected personal-data breaches (breaches.go).
		r(post, v1+"/breaches", Authenticated, s.recordBreach),
		r(get, v1+"/breaches", Authenticated, s.listBreaches),
		r(get, v1+"/breaches/:id", Authenticated, s.getBreach),
		// hoso's own availability and the outage notices (outages.go, BT 14.7).
		r(get, v1+"/outages", Authenticated, s.listOutages),
	}
}

// mountRoutes mounts the table on the Echo instance. Authentication is per
// route, never on a group: a group's middleware makes Echo route every
// unknown path under its prefix through it. With nil Deps only the probes
// are mounted (the API needs its dependencies).
func (s *Server) mountRoutes() {
	for _, r := range s.routeTable() {
		if s.deps == nil && strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		var mw []echo.MiddlewareFunc
		switch r.Access {
		case Pending:
			mw = append(mw, s.authenticatePending)
		case Authenticated:
			mw = append(mw, s.Authenticate)
		}
		s.echo.Add(r.Method, r.Path, r.handler, mw...)
	}
}
