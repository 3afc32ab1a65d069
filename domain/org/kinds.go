package org

import (
	"slices"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// Kind is what sort of body an org is. It is a closed list: reports and
// delegation rules switch on it, so free text would silently fall through.
type Kind string

// The kinds of org.
const (
	KindMinistry          Kind = "ministry"           // bộ, cơ quan ngang bộ
	KindProvinceCommittee Kind = "province_committee" // UBND tỉnh, thành phố
	KindDepartment        Kind = "department"         // sở, ban, ngành
	KindDistrictCommittee Kind = "district_committee" // UBND huyện (historic: abolished 1 July 2025)
	KindCommuneCommittee  Kind = "commune_committee"  // UBND xã, phường, đặc khu
	KindPublicServiceUnit Kind = "public_service_unit"
	KindOther             Kind = "other"
)

var kinds = []Kind{KindMinistry, KindProvinceCommittee, KindDepartment, KindDistrictCommittee, KindCommuneCommittee, KindPublicServiceUnit, KindOther}

// Kinds lists every valid Kind.
func Kinds() []Kind { return slices.Clone(kinds) }

// Valid reports whether k is one of the listed kinds.
func (k Kind) Valid() bool { return slices.Contains(kinds, k) }

// Level is the tier of government an org belongs to.
type Level string

// The levels. District is historic: the level was abolished on 1 July 2025.
const (
	LevelCentral  Level = "central"
	LevelProvince Level = "province"
	LevelDistrict Level = "district"
	LevelCommune  Level = "commune"
	LevelUnit     Level = "unit" // a public service unit or sub-unit below an agency
)

var levels = []Level{LevelCentral, LevelProvince, LevelDistrict, LevelCommune, LevelUnit}

// Levels lists every valid Level.
func Levels() []Level { return slices.Clone(levels) }

// Valid reports whether l is one of the listed levels.
func (l Level) Valid() bool { return slices.Contains(levels, l) }

// kindLevel pins the level of the kinds whose level is not a choice; other
// kinds (a department, a unit) exist at several levels.
var kindLevel = map[Kind]Level{
	KindMinistry:          LevelCentral,
	KindProvinceCommittee: LevelProvince,
	KindDistrictCommittee: LevelDistrict,
	KindCommuneCommittee:  LevelCommune,
}

// DistrictLevelAbolished is the day the two-level local government took
// effect (Law on Organization of Local Government 2025): no org can be
// created at the district level on or after it.
var DistrictLevelAbolished = domain.MustDate(2025, time.July, 1)

// Status is where an org is in its life.
type Status string

// The statuses. Every status but Active is final.
const (
	StatusActive    Status = "active"
	StatusMerged    Status = "merged"
	StatusSplit     Status = "split"
	StatusDissolved Status = "dissolved"
)
