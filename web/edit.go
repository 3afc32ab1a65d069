package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// editData is the edit form of one section.
type editData struct {
	ID, Section, Name string
	FullName          string
	Version           uint64
	Original          string // the section as read, JSON: what the edit is based on
	Fields            []editField
	Doc               decisionForm
	Conflict          []conflictRow // set when someone changed the section meanwhile
	Errors            map[string]string
	Today             string
	Corrections       []historyEntry // events this edit may correct
	Corrects          string
	Reason            string
	// Propose: the person's own form; it records a proposal for HR to
	// review instead of a change.
	Propose bool
}

type editField struct {
	Key, Label, Kind string
	Value            string // as the input shows it
	Checked          bool
	ReadOnly         bool // objects and lists are kept as they are
}

// decisionForm is the document behind a write: number, date, issuer.
type decisionForm struct {
	Kind, Number, Date, Issuer, EffectiveDate string
}

func decisionFrom(r *http.Request) decisionForm {
	return decisionForm{Kind: r.PostFormValue("document_kind"), Number: strings.TrimSpace(r.PostFormValue("document_number")),
		Date: r.PostFormValue("document_date"), Issuer: strings.TrimSpace(r.PostFormValue("document_issuer")),
		EffectiveDate: r.PostFormValue("effective_date")}
}

// envelope is the JSON of the write's envelope fields.
func (d decisionForm) envelope(body map[string]any) map[string]any {
	if d.EffectiveDate != "" {
		body["effective_date"] = d.EffectiveDate
	}
	if d.Number != "" || d.Date != "" || d.Issuer != "" {
		kind := d.Kind
		if kind == "" {
			kind = "decision"
		}
		body["source_document"] = map[string]any{"kind": kind, "number": d.Number, "date": d.Date, "issuer": d.Issuer}
	}
	return body
}

// conflictRow is one field of a section changed meanwhile, or by the user.
type conflictRow struct {
	Label, Before, Now, Yours string
	Theirs, Mine              bool
}

func sectionName(key string) string {
	for _, s := range sectionNames {
		if s.Key == key {
			return s.Name
		}
	}
	return key
}

// readDossier reads the dossier the edit works on.
func (a *App) readDossier(w http.ResponseWriter, r *http.Request, s *session) (dossierResponse, bool) {
	rep := a.api.call(r, http.MethodGet, "/api/v1/dossiers/"+url.PathEscape(r.PathValue("id")), s.Token, nil)
	var d dossierResponse
	if !rep.OK() {
		a.failure(w, r, rep)
		return d, false
	}
	if err := rep.decode(&d); err != nil {
		a.failure(w, r, reply{Status: http.StatusInternalServerError})
		return d, false
	}
	return d, true
}

func (a *App) editPage(w http.ResponseWriter, r *http.Request, s *session) {
	sec := r.PathValue("section")
	if !editableSections[sec] {
		a.failure(w, r, reply{Status: http.StatusNotFound})
		return
	}
	d, ok := a.readDossier(w, r, s)
	if !ok {
		return
	}
	cur, _ := d.Document[sec].(map[string]any)
	orig, _ := json.Marshal(cur)
	data := editData{ID: d.ID, Section: sec, Name: sectionName(sec), FullName: d.fullName(), Version: d.Version,
		Original: string(orig), Fields: editFields(sec, cur), Doc: decisionForm{EffectiveDate: s.Me.Today}, Today: s.Me.Today,
		Propose: s.proposes(d.ID)}
	if !data.Propose {
		data.Corrections = a.correctable(r, s, d.ID, sec)
	}
	a.render(w, r, http.StatusOK, "edit", "", view{Title: "Sửa: " + data.Name, S: s, Data: data})
}

// correctable lists the events that changed the section, for a correction.
func (a *App) correctable(r *http.Request, s *session, id, sec string) []historyEntry {
	rep := a.api.call(r, http.MethodGet, "/api/v1/dossiers/"+url.PathEscape(id)+"/history", s.Token, nil)
	var h struct {
		Items []historyEntry `json:"items"`
	}
	if !rep.OK() || rep.decode(&h) != nil {
		return nil
	}
	var out []historyEntry
	for i := len(h.Items) - 1; i >= 0; i-- {
		for _, c := range h.Items[i].Changes {
			if strings.HasPrefix(c.Path, "/"+sec+"/") {
				out = append(out, h.Items[i])
				break
			}
		}
	}
	return out
}

// editFields lists the section's fields as inputs, every field of its
// type; vals are the values shown (the section as read, or as the user
// typed it).
func editFields(sec string, vals map[string]any) []editField {
	var out []editField
	for _, sf := range schemaOf(sec) {
		f := editField{Key: sf.Key, Label: fieldLabel(sf.Key), Kind: sf.Kind}
		switch t := vals[sf.Key].(type) {
		case nil:
		case string:
			f.Value = t
		case float64:
			f.Value = strconv.FormatFloat(t, 'f', -1, 64)
		case bool:
			f.Checked = t
		default:
			b, _ := json.Marshal(t)
			f.Value = string(b)
		}
		f.ReadOnly = sf.Kind == "json"
		out = append(out, f)
	}
	return out
}

// applyForm is the section as the user left it: each field from the form
// in its JSON type (an empty field is left out, which clears it); lists
// and objects as they were in orig.
func applyForm(sec string, orig map[string]any, r *http.Request) (map[string]any, map[string]string) {
	return fromForm(schemaOf(sec), orig, r)
}

// fromForm reads fields from the form, each in its JSON type: a number
// parsed (a decimal comma accepted), a checkbox true when ticked, an empty
// field left out; a JSON field the form cannot edit is kept as in orig.
// The second result names the fields that did not parse.
func fromForm(fields []schemaField, orig map[string]any, r *http.Request) (map[string]any, map[string]string) {
	out := make(map[string]any, len(fields))
	errs := map[string]string{}
	for _, sf := range fields {
		k := sf.Key
		in := strings.TrimSpace(r.PostFormValue("f." + k))
		switch sf.Kind {
		case "checkbox":
			if in == "on" {
				out[k] = true
			}
		case "number":
			if in == "" {
				continue
			}
			n, err := strconv.ParseFloat(strings.ReplaceAll(in, ",", "."), 64)
			if err != nil {
				errs[k] = "Phải là một số."
				continue
			}
			out[k] = n
		case "json":
			if v, ok := orig[k]; ok {
				out[k] = v
			}
		default:
			if in != "" {
				out[k] = in
			}
		}
	}
	return out, errs
}

func (a *App) saveSection(w http.ResponseWriter, r *http.Request, s *session) {
	id, sec := r.PathValue("id"), r.PathValue("section")
	if !editableSections[sec] {
		a.failure(w, r, reply{Status: http.StatusNotFound})
		return
	}
	var orig map[string]any
	if err := json.Unmarshal([]byte(r.PostFormValue("original")), &orig); err != nil || orig == nil {
		a.render(w, r, http.StatusBadRequest, "error", "", view{Title: "Biểu mẫu không hợp lệ", S: s, Flash: "Biểu mẫu không hợp lệ. Vui lòng mở lại trang sửa."})
		return
	}
	version := r.PostFormValue("version")
	mine, errs := applyForm(sec, orig, r)
	doc := decisionFrom(r)
	data := editData{ID: id, Section: sec, Name: sectionName(sec), FullName: r.PostFormValue("full_name"),
		Original: r.PostFormValue("original"), Fields: editFields(sec, mine), Doc: doc, Errors: errs, Today: s.Me.Today,
		Corrects: r.PostFormValue("corrects"), Reason: strings.TrimSpace(r.PostFormValue("reason")), Propose: s.proposes(id)}
	data.Version, _ = strconv.ParseUint(version, 10, 64)
	if len(errs) > 0 {
		data.Corrections = a.correctable(r, s, id, sec)
		a.render(w, r, http.StatusUnprocessableEntity, "edit", "", view{Title: "Sửa: " + data.Name, S: s, Data: data, Flash: "Thông tin chưa hợp lệ."})
		return
	}
	body := doc.envelope(map[string]any{"patch": map[string]any{sec: mine}})
	target := "/api/v1/dossiers/" + url.PathEscape(id)
	method := http.MethodPatch
	if data.Propose {
		// The person proposes; HR accepts, edits or rejects it.
		body = map[string]any{"kind": "change", "patch": map[string]any{sec: mine}}
		target, method = target+"/proposals", http.MethodPost
	} else if data.Corrects != "" {
		// A correction of a recorded fact: its reason is mandatory (the API
		// says so if it is missing).
		body["corrects"], body["reason"] = data.Corrects, data.Reason
		target, method = target+"/corrections", http.MethodPost
	}
	rep := a.api.call(r, method, target, s.Token, body, "If-Match", `"`+version+`"`)
	if rep.OK() {
		if data.Propose {
			http.Redirect(w, r, "/dossiers/"+url.PathEscape(id)+"?proposed=1#proposals", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/dossiers/"+url.PathEscape(id)+"?saved=1#"+sec, http.StatusSeeOther)
		return
	}
	p := rep.problem()
	if p.Status == http.StatusPreconditionFailed {
		// Someone changed the dossier since the form was opened: show what
		// they changed beside what the user typed, and base the form on the
		// dossier as it now stands. Nothing is written until the user
		// sends it again, knowingly.
		d, ok := a.readDossier(w, r, s)
		if !ok {
			return
		}
		now, _ := d.Document[sec].(map[string]any)
		data.Conflict = conflicts(orig, now, mine, a)
		b, _ := json.Marshal(now)
		data.Original, data.Version, data.FullName = string(b), d.Version, d.fullName()
		data.Fields = editFields(sec, mergeMine(now, orig, mine))
		data.Corrections = a.correctable(r, s, id, sec)
		a.render(w, r, http.StatusConflict, "edit", "", view{Title: "Sửa: " + data.Name, S: s, Data: data,
			Flash: "Người khác đã thay đổi mục này trong lúc bạn sửa. Hãy xem các khác biệt bên dưới rồi gửi lại."})
		return
	}
	data.Errors = map[string]string{}
	for _, e := range p.Errors {
		data.Errors[strings.TrimPrefix(e.Field, "/patch/"+sec+"/")] = e.Rule + ifText(e.Detail)
	}
	data.Corrections = a.correctable(r, s, id, sec)
	a.render(w, r, p.Status, "edit", "", view{Title: "Sửa: " + data.Name, S: s, Data: data, Problem: &p, Flash: problemMessage(p)})
}

func ifText(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// mergeMine keeps what the user changed on top of the current section:
// fields they did not touch take the other writer's value.
func mergeMine(now, orig, mine map[string]any) map[string]any {
	out := make(map[string]any, len(now))
	keys := map[string]bool{}
	for _, m := range []map[string]any{now, orig, mine} {
		for k := range m {
			keys[k] = true
		}
	}
	for k := range keys {
		v, ok := now[k]
		if !reflect.DeepEqual(orig[k], mine[k]) {
			v, ok = mine[k]
		}
		if ok {
			out[k] = v
		}
	}
	return out
}

// conflicts lists the fields changed meanwhile or by the user.
func conflicts(orig, now, mine map[string]any, a *App) []conflictRow {
	keys := map[string]bool{}
	for k := range orig {
		keys[k] = true
	}
	for k := range now {
		keys[k] = true
	}
	for k := range mine {
		keys[k] = true
	}
	none := func(string) string { return "" }
	text := func(k string, v any) string { return a.fieldOf(k, v, none).Value }
	var out []conflictRow
	for _, k := range sortedKeys(keys) {
		theirs := !reflect.DeepEqual(orig[k], now[k])
		my := !reflect.DeepEqual(orig[k], mine[k])
		if theirs || my {
			out = append(out, conflictRow{Label: fieldLabel(k), Before: text(k, orig[k]), Now: text(k, now[k]), Yours: text(k, mine[k]), Theirs: theirs, Mine: my})
		}
	}
	return out
}

func (a *App) changeStatus(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	body := decisionFrom(r).envelope(map[string]any{"status": r.PostFormValue("status")})
	if reason := strings.TrimSpace(r.PostFormValue("reason")); reason != "" {
		body["reason"] = reason
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/dossiers/"+url.PathEscape(id)+"/status", s.Token, body, "If-Match", `"`+r.PostFormValue("version")+`"`)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	http.Redirect(w, r, "/dossiers/"+url.PathEscape(id)+"?saved=1", http.StatusSeeOther)
}

// uploadAttachment forwards a scan and its document to the API.
func (a *App) uploadAttachment(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	file, hdr, err := r.FormFile("file")
	if err != nil {
		a.render(w, r, http.StatusUnprocessableEntity, "error", "", view{Title: "Thiếu tệp", S: s, Flash: "Hãy chọn một tệp để đính kèm."})
		return
	}
	defer func() { _ = file.Close() }()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range []string{"document_kind", "document_number", "document_date", "document_issuer", "effective_date", "reason"} {
		if v := strings.TrimSpace(r.PostFormValue(k)); v != "" {
			_ = mw.WriteField(k, v)
		}
	}
	part, _ := mw.CreateFormFile("file", hdr.Filename)
	if _, err := io.Copy(part, file); err != nil {
		a.failure(w, r, reply{Status: http.StatusBadRequest})
		return
	}
	_ = mw.Close()
	rep := a.api.call(r, http.MethodPost, "/api/v1/dossiers/"+url.PathEscape(id)+"/attachments", s.Token, &buf,
		"Content-Type", mw.FormDataContentType(), "If-Match", `"`+r.PostFormValue("version")+`"`)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	http.Redirect(w, r, "/dossiers/"+url.PathEscape(id)+"?saved=1#attachments", http.StatusSeeOther)
}
