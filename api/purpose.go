package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/consent"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/domain/vntext"
)

// The purpose of a read (Decree 27/2026, Law 91/2025/QH15; see
// docs/privacy.md "Purpose and consent"). A caller whose access to a
// dossier is not personnel work — an inspector's grant, not an HR,
// approver or self grant — states why they read it, in the header
//
//	Hoso-Purpose: inspection; ref="15/QĐ-TTr"
//
// or, from a browser (whose fetch cannot send non-Latin-1 header values),
// in the query parameters purpose= and purpose_ref=. The purpose is a token
// of the policy's catalogue (policy.Purposes); ref, the number of the act
// behind the read, is an RFC 9651 string: quoted ASCII with \" and \\, a
// display string %"Q%c4%90 15" for other characters, or (leniently, for
// hand-written curl) quoted UTF-8. A missing purpose is 400
// purpose_required; a purpose whose rule needs the person's consent, with
// none in force, is 403 consent_required. The read log keeps the purpose,
// the reference and the consent event that allowed the read.

// HeaderPurpose is the request header that states a read's purpose.
const HeaderPurpose = "Hoso-Purpose"

// Problem codes of purposes and consents.
const (
	CodePurposeRequired = "purpose_required"
	CodeConsentRequired = "consent_required"
)

// maxPurposeRef bounds a reference, in characters.
const maxPurposeRef = 200

// maxPurposeHeader bounds the header, in bytes, before any parsing.
const maxPurposeHeader = 1024

// errPurposeSyntax is a header that does not parse; the detail says where.
type purposeSyntaxError struct{ detail string }

func (e *purposeSyntaxError) Error() string { return e.detail }

// parsePurposeHeader parses the value of Hoso-Purpose: a token, then
// parameters "; key=value" of which ref is the only one known (others are
// refused, so a typo is not silently dropped). It returns the purpose as
// written and the reference in NFC, trimmed.
func parsePurposeHeader(h string) (purpose, ref string, err error) {
	if len(h) > maxPurposeHeader {
		return "", "", &purposeSyntaxError{"longer than 1024 bytes"}
	}
	s := strings.TrimLeft(h, " \t")
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	if i == 0 {
		return "", "", &purposeSyntaxError{"starts with a purpose token, e.g. inspection"}
	}
	purpose, s = s[:i], s[i:]
	seenRef := false
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		if s[0] != ';' {
			return "", "", &purposeSyntaxError{"parameters follow ';', e.g. inspection; ref=\"15/QĐ-TTr\""}
		}
		s = strings.TrimLeft(s[1:], " \t")
		j := 0
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] == '_' || s[j] == '-' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		key := s[:j]
		s = s[j:]
		if key != "ref" {
			return "", "", &purposeSyntaxError{"the only parameter is ref"}
		}
		if seenRef {
			return "", "", &purposeSyntaxError{"ref is given twice"}
		}
		seenRef = true
		if s == "" || s[0] != '=' {
			return "", "", &purposeSyntaxError{"ref needs a value: ref=\"…\""}
		}
		var v string
		var perr error
		if v, s, perr = parseRefValue(s[1:]); perr != nil {
			return "", "", perr
		}
		ref = v
	}
	if ref, err = cleanRef(ref); err != nil {
		return "", "", err
	}
	return purpose, ref, nil
}

// parseRefValue reads one parameter value at the start of s: a quoted
// string, a display string or a token; it returns the value and the rest.
func parseRefValue(s string) (string, string, error) {
	switch {
	case strings.HasPrefix(s, `%"`):
		var b []byte
		for i := 2; i < len(s); i++ {
			switch c := s[i]; {
			case c == '"':
				if !utf8.Valid(b) {
					return "", "", &purposeSyntaxError{"the display string is not UTF-8"}
				}
				return string(b), s[i+1:], nil
			case c == '%':
				if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
					return "", "", &purposeSyntaxError{"a display string escapes bytes as %xx, lower-case hex"}
				}
				b = append(b, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
				i += 2
			case c < 0x20 || c > 0x7e:
				return "", "", &purposeSyntaxError{"a display string holds printable ASCII and %xx escapes"}
			default:
				b = append(b, c)
			}
		}
		return "", "", &purposeSyntaxError{"the display string is not closed"}
	case strings.HasPrefix(s, `"`):
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch c := s[i]; {
			case c == '\\':
				if i+1 >= len(s) || s[i+1] != '"' && s[i+1] != '\\' {
					return "", "", &purposeSyntaxError{`a quoted string escapes only \" and \\`}
				}
				b.WriteByte(s[i+1])
				i++
			case c == '"':
				if !utf8.ValidString(b.String()) {
					return "", "", &purposeSyntaxError{"the reference is not UTF-8"}
				}
				return b.String(), s[i+1:], nil
			case c < 0x20 || c == 0x7f:
				return "", "", &purposeSyntaxError{"the reference holds a control character"}
			default:
				b.WriteByte(c)
			}
		}
		return "", "", &purposeSyntaxError{"the quoted string is not closed"}
	default:
		i := 0
		for i < len(s) && (isTokenChar(s[i]) || s[i] == '/' || s[i] == ':') {
			i++
		}
		if i == 0 {
			return "", "", &purposeSyntaxError{"ref is a quoted string, e.g. ref=\"15/QĐ-TTr\""}
		}
		return s[:i], s[i:], nil
	}
}

// cleanRef is a reference as stored: NFC, trimmed, bounded, printable.
func cleanRef(ref string) (string, error) {
	if !utf8.ValidString(ref) {
		return "", &purposeSyntaxError{"the reference is not UTF-8"}
	}
	ref = strings.TrimSpace(vntext.NFC(ref))
	if utf8.RuneCountInString(ref) > maxPurposeRef {
		return "", &purposeSyntaxError{"the reference is longer than 200 characters"}
	}
	for _, r := range ref {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return "", &purposeSyntaxError{"the reference holds a control character"}
		}
	}
	return ref, nil
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*'
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// statedPurpose is the purpose a request states, and where it says it.
type statedPurpose struct {
	purpose policy.Purpose
	ref     string
	field   string // header:Hoso-Purpose or query:purpose
	refFld  string // where the reference goes
}

// readPurpose is what the read log records of a request's purpose: set on
// the request once decided, read by readEntry.
type readPurpose struct {
	purpose, ref string
	consent      uuid.UUID
}

const purposeKey = "hoso.purpose"

// statePurpose parses the purpose a request states (nil when none): 400
// bad_parameter naming the header or parameter for anything malformed,
// and for a header and query that disagree.
func statePurpose(c echo.Context) (*statedPurpose, error) {
	var out *statedPurpose
	if raw := c.Request().Header.Values(HeaderPurpose); len(raw) > 0 {
		if len(raw) > 1 {
			return nil, BadParameter("header:"+HeaderPurpose, "single", "send Hoso-Purpose once")
		}
		name, ref, err := parsePurposeHeader(raw[0])
		if err != nil {
			return nil, BadParameter("header:"+HeaderPurpose, "syntax", err.Error())
		}
		p, err := policy.ParsePurpose(name)
		if err != nil {
			return nil, BadParameter("header:"+HeaderPurpose, "enum", "one of "+purposeNames())
		}
		out = &statedPurpose{purpose: p, ref: ref, field: "header:" + HeaderPurpose, refFld: "header:" + HeaderPurpose}
	}
	name, err := queryOne(c, "purpose")
	if err != nil {
		return nil, err
	}
	ref, err := queryOne(c, "purpose_ref")
	if err != nil {
		return nil, err
	}
	if name == "" && ref == "" {
		return out, nil
	}
	if name == "" {
		return nil, BadParameter("query:purpose", "required", "purpose_ref goes with purpose")
	}
	p, err := policy.ParsePurpose(name)
	if err != nil {
		return nil, BadParameter("query:purpose", "enum", "one of "+purposeNames())
	}
	if ref, err = cleanRef(ref); err != nil {
		return nil, BadParameter("query:purpose_ref", "syntax", err.Error())
	}
	q := &statedPurpose{purpose: p, ref: ref, field: "query:purpose", refFld: "query:purpose_ref"}
	if out != nil && (out.purpose != q.purpose || out.ref != q.ref) {
		return nil, BadParameter("query:purpose", "conflict", "the Hoso-Purpose header says otherwise")
	}
	if out != nil {
		return out, nil
	}
	return q, nil
}

func purposeNames() string {
	var s []string
	for _, p := range policy.Purposes() {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}

// copyRoutes hand a copy of the dossier out of the system: a consent of
// scope view does not cover them.
var copyRoutes = map[string]bool{
	"/api/v1/dossiers/:id/cv.pdf": true,
	"/api/v1/dossiers/:id/export": true,
	"/api/v1/attachments/:sha256": true, // the scan itself, downloaded
}

// personnelWork reports whether a's read of a dossier is personnel work:
// through an HR or approver grant over its managing org or employing unit
// (those carry read_sensitive), or the person's own.
func personnelWork(a access) bool { return a.sensitive || a.self || a.write }

// purposeGate decides whether a read the caller's grants allow may go on,
// given its stated purpose (st, nil when none): personnel work needs none
// (one stated is logged); any other read needs a purpose of the policy's
// catalogue, the reference its rule asks for, and, where the rule says so,
// a consent of the person in force today covering the purpose and the
// route and naming the caller (consent.Reader). It records the decision
// for the read log. The refusals are *Error: 400 purpose_required, 403
// consent_required, 403 forbidden (a claim of personnel work the grants do
// not back), 400 bad_parameter (a purpose outside the deployment's
// catalogue).
func (s *Server) purposeGate(c echo.Context, d *dossier.Dossier, a access, st *statedPurpose) error {
	if st != nil {
		c.Set(purposeKey, readPurpose{purpose: st.purpose.String(), ref: st.ref})
	}
	if personnelWork(a) {
		return nil
	}
	rule, err := s.purposeRule(st)
	if err != nil || !rule.ConsentRequired {
		return err
	}
	need := consent.ScopeView
	if copyRoutes[c.Path()] {
		need = consent.ScopeCopy
	}
	cs, err := s.consents().Get(c.Request().Context(), d.ID())
	if err != nil {
		return err
	}
	got, ok := cs.Covering(st.purpose, need, CallerOf(c).Today, s.consentReader(c))
	if !ok {
		return consentRequired(st, rule, need, 1)
	}
	c.Set(purposeKey, readPurpose{purpose: st.purpose.String(), ref: st.ref, consent: got.EventID})
	return nil
}

// purposeGateUnless is purposeGate for a read that is personnel work on
// other grounds than the dossier's grants (personnel: the caller's org
// sends or receives it), when nothing is asked and a purpose stated is
// still logged.
func (s *Server) purposeGateUnless(c echo.Context, personnel bool, d *dossier.Dossier, a access, st *statedPurpose) error {
	if !personnel {
		return s.purposeGate(c, d, a, st)
	}
	if st != nil {
		c.Set(purposeKey, readPurpose{purpose: st.purpose.String(), ref: st.ref})
	}
	return nil
}

// purposeRule checks the purpose stated for a read outside personnel work
// (st, nil when none) and returns the policy's rule for it: 400
// purpose_required without a purpose or without the reference the rule
// asks, 403 forbidden for a claim of personnel work, 400 bad_parameter
// for a purpose the deployment's policy does not list.
func (s *Server) purposeRule(st *statedPurpose) (policy.PurposeRule, error) {
	if st == nil {
		return policy.PurposeRule{}, &Error{Status: http.StatusBadRequest, Code: CodePurposeRequired,
			Detail: "this read is not personnel work of the managing org: state its purpose, e.g. Hoso-Purpose: inspection; ref=\"15/QĐ-TTr\"",
			Errors: []FieldProblem{{Field: "header:" + HeaderPurpose, Rule: "required", Detail: "one of " + purposeNames()}}}
	}
	if st.purpose == policy.PurposePersonnel {
		return policy.PurposeRule{}, &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Detail: "your grants over this dossier are not personnel work: state the purpose of the read",
			Errors: []FieldProblem{{Field: st.field, Rule: "personnel", Detail: "personnel work is for the managing org's HR"}}}
	}
	pol := s.deps.Policy
	if len(pol.ReadPurposes()) == 0 {
		pol = policy.NationalLayer()
	}
	rule, ok := pol.ReadPurpose(st.purpose)
	if !ok {
		return rule, BadParameter(st.field, "enum", st.purpose.String()+" is not a purpose this deployment's policy lists")
	}
	if rule.ReferenceRequired && st.ref == "" {
		return rule, &Error{Status: http.StatusBadRequest, Code: CodePurposeRequired,
			Detail: "a read for " + st.purpose.String() + " cites the act behind it (" + rule.Article + ")",
			Errors: []FieldProblem{{Field: st.refFld, Rule: "reference_required", Detail: "the number of the decision or request, e.g. ref=\"15/QĐ-TTr\""}}}
	}
	return rule, nil
}

// consentRequired is the 403 of a read for st whose rule needs consent,
// when none in force covers n of the dossiers read.
func consentRequired(st *statedPurpose, rule policy.PurposeRule, need consent.Scope, n int) *Error {
	detail := "a read for " + st.purpose.String() + " needs the person's consent (" + rule.Article + "), and none in force covers it"
	if n > 1 {
		detail = fmt.Sprintf("a read for %s needs each person's consent (%s), and for %d of the dossiers listed none in force covers it: narrow the list to those who consented", st.purpose, rule.Article, n)
	}
	if need == consent.ScopeCopy {
		detail += " (a copy needs a consent of scope copy)"
	}
	return &Error{Status: http.StatusForbidden, Code: CodeConsentRequired, Detail: detail,
		Errors: []FieldProblem{{Field: st.field, Rule: "consent", Detail: "no consent in force for " + st.purpose.String()}}}
}

// listed is one dossier a list would show, and whether the caller's access
// to it is personnel work.
type listed struct {
	id        domain.DossierID
	personnel bool
}

// gateList decides a page of a list that shows personal data of dossiers
// (names, birth dates: GET /dossiers, /archive, /transfers) as purposeGate
// decides one dossier's read: when every dossier listed is the caller's
// personnel work, nothing is asked; otherwise the purpose stated (st) must
// pass purposeRule, and where its rule needs consent every dossier listed
// outside personnel work needs a consent in force of scope view naming the
// caller — else the page is refused 403 consent_required, naming how many
// lack one. A refusal is logged as a refused read of each dossier it
// concerns (those outside personnel work; for want of consent, those
// without one) and the page is not served. On success it returns the
// consent event each dossier's read relied on, for logListed.
func (s *Server) gateList(c echo.Context, st *statedPurpose, items []listed) (map[domain.DossierID]uuid.UUID, error) {
	if st != nil {
		c.Set(purposeKey, readPurpose{purpose: st.purpose.String(), ref: st.ref})
	}
	var outside []domain.DossierID
	for _, it := range items {
		if !it.personnel {
			outside = append(outside, it.id)
		}
	}
	if len(outside) == 0 {
		return nil, nil
	}
	refuse := func(ids []domain.DossierID, err error) (map[domain.DossierID]uuid.UUID, error) {
		if !isPurposeRefusal(err) {
			return nil, err
		}
		if lerr := s.logList(c, ids, ReadRefused, nil); lerr != nil {
			return nil, lerr
		}
		return nil, err
	}
	rule, err := s.purposeRule(st)
	if err != nil {
		return refuse(outside, err)
	}
	if !rule.ConsentRequired {
		return nil, nil
	}
	ctx := c.Request().Context()
	reader, today := s.consentReader(c), CallerOf(c).Today
	cited := make(map[domain.DossierID]uuid.UUID, len(outside))
	var missing []domain.DossierID
	// One read of every listed dossier's consent stream, not one each.
	all, err := s.consents().GetMany(ctx, outside)
	if err != nil {
		return nil, err
	}
	for _, id := range outside {
		if got, ok := all[id].Covering(st.purpose, consent.ScopeView, today, reader); ok {
			cited[id] = got.EventID
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return refuse(missing, consentRequired(st, rule, consent.ScopeView, len(missing)))
	}
	return cited, nil
}

// consentReader is the caller as a consent's recipient is checked
// against: the account, and its home org with the orgs above it.
func (s *Server) consentReader(c echo.Context) consent.Reader {
	caller := CallerOf(c)
	r := consent.Reader{Account: caller.ID()}
	if home := caller.Account.HomeOrg(); !home.IsZero() {
		r.Orgs = s.ancestry(c.Request().Context())(home)
	}
	return r
}

// purposeOf is the read log's view of the request's purpose.
func purposeOf(c echo.Context) readPurpose {
	p, _ := c.Get(purposeKey).(readPurpose)
	return p
}

// isPurposeRefusal reports whether err is a refusal the read log records
// as a refused read.
func isPurposeRefusal(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Code == CodePurposeRequired || e.Code == CodeConsentRequired || e.Code == CodeForbidden)
}

// consents is the consent register of the dossiers (app.Consents), on the
// dossiers' ledger.
func (s *Server) consents() app.Consents { return app.Consents{Ledger: s.deps.Dossiers.Ledger} }
