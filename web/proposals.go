package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
)

// proposal is the API's ProposalView.
type proposal struct {
	ID          string                    `json:"id"`
	Kind        string                    `json:"kind"`
	Year        int                       `json:"year"`
	State       string                    `json:"state"`
	SubmittedOn string                    `json:"submitted_on"`
	Patch       map[string]map[string]any `json:"patch"`
}

// proposalView lays a pending proposal beside the dossier as it stands:
// field by field, what is recorded and what the person proposes.
type proposalView struct {
	ID, SubmittedOn string
	Sections        []proposalSection
}

type proposalSection struct {
	Name string
	Rows []conflictRow // Before: recorded now; Yours: proposed; Mine: differs
}

func (a *App) proposalViews(doc map[string]any, list []proposal) []proposalView {
	var out []proposalView
	none := func(string) string { return "" }
	for _, p := range list {
		if p.State != "pending" {
			continue
		}
		v := proposalView{ID: p.ID, SubmittedOn: p.SubmittedOn}
		for _, sn := range sectionNames {
			prop, ok := p.Patch[sn.Key]
			if !ok {
				continue
			}
			cur, _ := doc[sn.Key].(map[string]any)
			ps := proposalSection{Name: sn.Name}
			keys := map[string]bool{}
			for k := range prop {
				keys[k] = true
			}
			for k := range cur {
				keys[k] = true
			}
			for _, k := range sortedKeys(keys) {
				changed := !reflect.DeepEqual(cur[k], prop[k])
				if changed {
					ps.Rows = append(ps.Rows, conflictRow{Label: fieldLabel(k), Before: a.fieldOf(k, cur[k], none).Value,
						Yours: a.fieldOf(k, prop[k], none).Value, Mine: true})
				}
			}
			v.Sections = append(v.Sections, ps)
		}
		out = append(out, v)
	}
	return out
}

// proposalAct accepts (as proposed) or rejects (with a reason) one
// proposal; the API checks that the caller writes the dossier.
func (a *App) proposalAct(w http.ResponseWriter, r *http.Request, s *session) {
	id, pid, act := r.PathValue("id"), r.PathValue("proposal"), r.PathValue("act")
	var body map[string]any
	switch act {
	case "accept":
		body = decisionFrom(r).envelope(map[string]any{})
	case "reject":
		body = map[string]any{"reason": strings.TrimSpace(r.PostFormValue("reason"))}
	default:
		a.failure(w, r, reply{Status: http.StatusNotFound})
		return
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/dossiers/"+url.PathEscape(id)+"/proposals/"+url.PathEscape(pid)+"/"+act, s.Token, body,
		"If-Match", `"`+r.PostFormValue("version")+`"`)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	http.Redirect(w, r, "/dossiers/"+url.PathEscape(id)+"?saved=1#proposals", http.StatusSeeOther)
}

// decodeProposals reads the proposals of the API's dossier answer.
func decodeProposals(body []byte) []proposal {
	var d struct {
		Proposals []proposal `json:"proposals"`
	}
	_ = json.Unmarshal(body, &d)
	return d.Proposals
}
