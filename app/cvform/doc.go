// Package cvform renders a dossier as the CV form (sơ yếu lý lịch, the
// form of Circular 06/2023/TT-BNV, items 1–38) in PDF.
//
// The renderer is a pure function of a Form: the dossier's document as the
// reader may see it (already redacted by the caller, exactly as the JSON
// read is), the names of its orgs, and the attestation of item 38. It does
// no I/O: the font, Tinos (metric-compatible with Times New Roman, SIL OFL
// 1.1, fonts/LICENSE), is embedded in the binary, so a fresh clone renders
// the same bytes on any machine.
//
// Tables (training, career, evaluations, rewards, discipline, family,
// salary history) flow onto as many pages as they need and repeat their
// header row at the top of each new page, as a printed form does.
package cvform
