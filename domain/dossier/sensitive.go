package dossier

// Sensitive data (Personal Data Protection Law 91/2025 art. 2, Decree
// 27/2026): the personal ID and identity-card numbers, ethnicity,
// religion, Party membership, health, personal history and the family.
// The same fields the API withholds from callers without read_sensitive
// (api/redact.go) are sealed at rest.

// patchSensitive is where those fields are in a Patch's JSON. "*" stands
// for every row.
var patchSensitive = [][]string{
	{"header", "personal_id_number"},
	{"identity", "ethnicity"},
	{"identity", "religion"},
	{"identity", "citizen_id_issued_on"},
	{"identity", "citizen_id_issued_by"},
	{"background", "party_admitted_on"},
	{"background", "party_confirmed_on"},
	{"position", "party"},
	{"party_unions", "party_cell"},
	{"party_unions", "party_card_number"},
	{"health"},
	{"personal_history"},
	{"insurance", "social_insurance_number"},
	{"insurance", "health_insurance_number"},
	{"rows", "*", "family"},
}

func under(prefix string, paths [][]string) [][]string {
	out := make([][]string, len(paths))
	for i, p := range paths {
		out[i] = append([]string{prefix}, p...)
	}
	return out
}

var payloadSensitive = map[string][][]string{
	TypeCreated: {
		{"personal_id_number"},
		{"identity", "ethnicity"},
		{"identity", "religion"},
		{"identity", "citizen_id_issued_on"},
		{"identity", "citizen_id_issued_by"},
	},
	TypeSectionUpdated:    under("patch", patchSensitive),
	TypeCorrected:         under("patch", patchSensitive),
	TypeProposalSubmitted: under("patch", patchSensitive),
	TypeProposalAccepted:  under("patch", patchSensitive),
	TypeRowAdded:          {{"row", "family"}},
	TypeRowAmended:        {{"row", "family"}},
}

// SensitivePayloadPaths names the members of a stored payload of eventType
// that hold sensitive data, as paths of JSON object keys ("*": every
// element of an array); nil when the type holds none. The ledger seals
// them at rest (ledger/seal). A new event type or field that carries
// sensitive data must be added here.
func SensitivePayloadPaths(eventType string) [][]string {
	return payloadSensitive[eventType]
}
