// Package policy holds jurisdiction policies: each regulation's deadlines,
// monthly approval windows and report due dates as validated data rather
// than code, because the provinces (and Decree 27/2026) disagree and a
// province may adopt new rules without a release.
//
// A Policy comes from Parse (a JSON file whose published JSON Schema is
// Schema; `hoso policy check FILE` validates one) or from the embedded
// presets, which go through the same Parse. Each rule carries the article it
// comes from and a validity interval (valid_from, valid_until, both
// included, either open), and each file a layer: provincial (the default) or
// national.
//
// # Layers and precedence
//
// The national layer is the embedded preset decree-27-2026 (NationalLayer):
// Decree 27/2026/NĐ-CP from 1 July 2026 — create_dossier within 3 days of
// the decision, national_sync within 1 day, national_sync_manual within 3
// working days — citing Circular 06/2023/TT-BNV, which sets no deadline
// encoded here. ForDeployment composes it with the deployment's provincial
// policy, so every deployment tracks the decree. A duty is judged by the
// rules in force on the day it started (Governing, RuleFor): each candidate
// rule dated by its own anchor, only the rules in force that day count, and
// of those the earliest due date governs, the national rule on a tie. A
// provincial rule can thus be stricter than the decree but never laxer; an
// open-ended provincial rule keeps applying beside it. Approval windows: the
// provincial window in force on the month's last day, else the national one.
// Reports: those of every layer in force on their due date.
//
// # The presets
//
// phu-tho-2021, binh-tan-2013, tien-giang-2025, hue-health-2017 and
// binh-dinh-2022 name the regulations they encode, not today's provinces:
// since 1 July 2025 Vietnam has 34 provinces and no districts, Tiền Giang is
// part of Đồng Tháp, Bình Định of Gia Lai, Phú Thọ was merged with Vĩnh Phúc
// and Hòa Bình, Huế is a centrally-run city and Bình Tân a former district
// of Hồ Chí Minh City. The names stay because deployments name them
// (HOSO_POLICY) and their regulations stay in force in the former territory
// until the new province replaces them; a new province's rules are a policy
// file (HOSO_POLICY=path). A provincial preset's rules are in force from
// the day its regulation took effect, as its own article on effect says
// (Tiền Giang 15/02/2025, Phú Thọ 20/12/2021, Bình Tân 28/11/2013); the
// Huế and Bình Định texts leave the signing day blank, so their rules carry
// no start. None carries an end. decree-27-2026 as HOSO_POLICY is the
// national layer alone.
//
// With a calendar.Calendar a Policy computes due dates (Civil Code arts.
// 147–148), lateness in the rule's unit (Check, Judge), approval windows
// and report due dates.
//
// The package is pure: no I/O, no clock. Errors wrap domain.ErrInvalid
// (bad input) or domain.ErrNotFound (no such preset, no rule in force).
package policy
