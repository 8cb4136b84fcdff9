// Package org is the network (三级网络): a tree of org units, from the city
// through districts to schools and community stations, with the hotline
// station and its branches, hospitals, police and agencies beside them.
// Units are never deleted; renames, moves and deactivations keep history.
package org

import "time"

// Kind is the kind of an org unit (glossary: "org kind").
type Kind string

// The kinds of unit in the network.
const (
	City             Kind = "city"
	District         Kind = "district"
	GuidanceCentre   Kind = "guidance_centre"   // 未成年人成长指导中心
	School           Kind = "school"            // 中小学
	CommunityStation Kind = "community_station" // 社区校外教育辅导站
	HotlineStation   Kind = "hotline_station"   // 陶老师工作站 and its district branches
	PracticeCentre   Kind = "practice_centre"   // 新时代文明实践中心
	Hospital         Kind = "hospital"
	Police           Kind = "police"
	Agency           Kind = "agency" // education bureau, civil affairs, women's federation, ...
)

// Kinds lists every kind in display order.
var Kinds = []Kind{City, District, GuidanceCentre, School, CommunityStation, HotlineStation, PracticeCentre, Hospital, Police, Agency}

// childKinds says which kinds may sit under which: the city holds everything
// city-wide; a district holds its schools and stations; the hotline station
// holds its district branches; a hospital may hold departments.
var childKinds = map[Kind][]Kind{
	City:           {District, GuidanceCentre, HotlineStation, PracticeCentre, Hospital, Police, Agency},
	District:       {GuidanceCentre, School, CommunityStation, PracticeCentre, Hospital, Police, Agency},
	HotlineStation: {HotlineStation},
	Hospital:       {Hospital},
	Police:         {Police},
	Agency:         {Agency},
	PracticeCentre: {PracticeCentre},
}

// MayHold reports whether a unit of kind parent may hold a child of kind child.
func MayHold(parent, child Kind) bool {
	for _, k := range childKinds[parent] {
		if k == child {
			return true
		}
	}
	return false
}

// ValidKind reports whether k is a known kind.
func ValidKind(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Unit is one org unit.
type Unit struct {
	ID        int64
	Kind      Kind
	Name      string // Chinese name, as the unit is known
	NameEn    string // English name, may be empty
	Code      string // an official code, may be empty
	ParentID  int64  // 0 for the root
	Path      string // materialized path "/1/5/23/"
	Depth     int
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
	Children  int // number of direct children, filled by list queries
}

// DisplayName returns the name to show in locale ("en" shows NameEn when set).
func (u Unit) DisplayName(locale string) string {
	if locale == "en" && u.NameEn != "" {
		return u.NameEn
	}
	return u.Name
}

// NewUnit is the input for creating a unit.
type NewUnit struct {
	Kind     Kind
	Name     string
	NameEn   string
	Code     string
	ParentID int64
}

// UnitFilter selects units for a list or search.
type UnitFilter struct {
	ParentID        int64 // only direct children of this unit (0: no filter)
	Kind            Kind
	Query           string // name contains
	IncludeInactive bool
	Limit           int
}

// Change is one entry of a unit's history.
type Change struct {
	At          time.Time
	ActorUserID int64
	Change      string // created, renamed, moved, deactivated, reactivated
	OldValue    string
	NewValue    string
}
