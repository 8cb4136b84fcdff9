package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
)

// OrgUnit is the JSON form of an org unit.
type OrgUnit struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	NameEn    string    `json:"name_en"`
	Code      string    `json:"code"`
	ParentID  int64     `json:"parent_id"`
	Depth     int       `json:"depth"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func unitJSON(u org.Unit) OrgUnit {
	return OrgUnit{ID: u.ID, Kind: string(u.Kind), Name: u.Name, NameEn: u.NameEn, Code: u.Code, ParentID: u.ParentID,
		Depth: u.Depth, Active: u.Active, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// NewOrgUnit is the body of POST /api/v1/orgs.
type NewOrgUnit struct {
	ParentID int64  `json:"parent_id"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	NameEn   string `json:"name_en"`
	Code     string `json:"code"`
}

// OrgUnitUpdate is the body of PATCH /api/v1/orgs/{id}; absent fields are
// left as they are.
type OrgUnitUpdate struct {
	Name     *string `json:"name"`
	NameEn   *string `json:"name_en"`
	ParentID *int64  `json:"parent_id"`
	Active   *bool   `json:"active"`
}

func idParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound()
	}
	return id, nil
}

func (s *Server) listUnits(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	f := org.UnitFilter{Query: q.Get("q"), Kind: org.Kind(q.Get("kind")), IncludeInactive: q.Get("include_inactive") == "true"}
	if v := q.Get("parent_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return apperr.Invalid("error.invalid", map[string]string{"parent_id": "api.integer"})
		}
		f.ParentID = id
	}
	units, err := s.Org.FindUnits(r.Context(), p, f)
	if err != nil {
		return err
	}
	out := make([]OrgUnit, len(units))
	for i, u := range units {
		out[i] = unitJSON(u)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getUnit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	u, err := s.Org.FindUnitByID(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, unitJSON(*u))
	return nil
}

func (s *Server) createUnit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in NewOrgUnit
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := s.Org.CreateUnit(r.Context(), p, org.NewUnit{ParentID: in.ParentID, Kind: org.Kind(in.Kind), Name: in.Name, NameEn: in.NameEn, Code: in.Code})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, unitJSON(*u))
	return nil
}

// updateUnit applies each present field in turn; each change is its own
// audited service call.
func (s *Server) updateUnit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	var in OrgUnitUpdate
	if err := decode(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	u, err := s.Org.FindUnitByID(ctx, p, id)
	if err != nil {
		return err
	}
	if in.Name != nil || in.NameEn != nil {
		name, en := u.Name, u.NameEn
		if in.Name != nil {
			name = *in.Name
		}
		if in.NameEn != nil {
			en = *in.NameEn
		}
		if u, err = s.Org.RenameUnit(ctx, p, id, name, en); err != nil {
			return err
		}
	}
	if in.ParentID != nil && *in.ParentID != u.ParentID {
		if u, err = s.Org.MoveUnit(ctx, p, id, *in.ParentID); err != nil {
			return err
		}
	}
	if in.Active != nil && *in.Active != u.Active {
		if u, err = s.Org.SetUnitActive(ctx, p, id, *in.Active); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, unitJSON(*u))
	return nil
}
