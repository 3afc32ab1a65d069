package api

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Proofs are RFC 6962 proofs over the global Merkle log, hashes in hex, for
// any verifier (transparency-dev/merkle's proof package checks them as is).
// They reveal hashes only, so any authenticated caller may ask.

type inclusionView struct {
	EventID   string   `json:"event_id"`
	LeafIndex uint64   `json:"leaf_index"`
	TreeSize  uint64   `json:"tree_size"`
	EventHash string   `json:"event_hash"`
	LeafHash  string   `json:"leaf_hash"`
	Root      string   `json:"root"`
	Proof     []string `json:"proof"`
}

type consistencyView struct {
	From     uint64   `json:"from"`
	To       uint64   `json:"to"`
	RootFrom string   `json:"root_from"`
	RootTo   string   `json:"root_to"`
	Proof    []string `json:"proof"`
}

func proofParamError(name, rule, detail string) error {
	return &Error{Status: http.StatusBadRequest, Code: CodeBadParameter, Detail: detail, Errors: []FieldProblem{{Field: "query:" + name, Rule: rule}}}
}

// sizeParam reads a tree size; absent means the tree's current size.
func (h approvalHandlers) sizeParam(c echo.Context, name string, required bool) (uint64, error) {
	v := c.QueryParam(name)
	if v == "" {
		if required {
			return 0, proofParamError(name, "required", name+" is required")
		}
		return h.r.Tree.Size(c.Request().Context())
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, proofParamError(name, "format", name+": a tree size (non-negative integer)")
	}
	return n, nil
}

// inclusion: GET /proofs/inclusion?event={id}&size={n}.
func (h approvalHandlers) inclusion(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := uuid.Parse(c.QueryParam("event"))
	if err != nil {
		return proofParamError("event", "format", "event: an event id (UUID)")
	}
	size, err := h.sizeParam(c, "size", false)
	if err != nil {
		return err
	}
	idx, err := h.r.Tree.LeafIndex(ctx, id)
	if err != nil {
		return approvalError(err)
	}
	leaves, err := h.r.Tree.ReadLeaves(ctx, idx, 1)
	if err != nil {
		return err
	}
	if len(leaves) != 1 || leaves[0].EventID != id {
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "the event is not in the Merkle log"}
	}
	path, err := h.r.Tree.InclusionProof(ctx, idx, size)
	if err != nil {
		return approvalError(err)
	}
	root, err := h.r.Tree.Root(ctx, size)
	if err != nil {
		return approvalError(err)
	}
	v := inclusionView{EventID: id.String(), LeafIndex: idx, TreeSize: size, LeafHash: leaves[0].Hash.String(), Root: root.String(), Proof: proofHexes(path)}
	// The event hash is what a manifest lists; the leaf hash is derived from it.
	if evs, err := h.s.deps.Store.ReadStream(ctx, leaves[0].StreamID, eventstore.ReadOptions{From: leaves[0].Version, Limit: 1}); err == nil && len(evs) == 1 && evs[0].ID == id {
		v.EventHash = evs[0].Hash.String()
	}
	return c.JSON(http.StatusOK, v)
}

// consistency: GET /proofs/consistency?from={m}&to={n}.
func (h approvalHandlers) consistency(c echo.Context) error {
	ctx := c.Request().Context()
	from, err := h.sizeParam(c, "from", true)
	if err != nil {
		return err
	}
	to, err := h.sizeParam(c, "to", false)
	if err != nil {
		return err
	}
	path, err := h.r.Tree.ConsistencyProof(ctx, from, to)
	if err != nil {
		return approvalError(err)
	}
	rf, err := h.r.Tree.Root(ctx, from)
	if err != nil {
		return approvalError(err)
	}
	rt, err := h.r.Tree.Root(ctx, to)
	if err != nil {
		return approvalError(err)
	}
	return c.JSON(http.StatusOK, consistencyView{From: from, To: to, RootFrom: rf.String(), RootTo: rt.String(), Proof: proofHexes(path)})
}

func proofHexes(hs []eventstore.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

func signatureMediaType(ct string) (string, map[string]string, error) { return mime.ParseMediaType(ct) }

func checkpointSize(n uint64) string { return strconv.FormatUint(n, 10) }
