package web

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"strconv"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
	"github.com/careloop/careloop/internal/student"
)

type campaignsView struct {
	Campaigns   []screening.Campaign
	CanCreate   bool
	Owners      []org.Unit
	Schools     []org.Unit
	Instruments []*instrument.Instrument
	Rules       []string
	Today       string
	Titles      map[string]instrument.Text
}

func (s *Server) campaigns(w http.ResponseWriter, r *http.Request) {
	s.listCampaigns(w, r, http.StatusOK, page{})
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p, ctx := principal(r), r.Context()
	v := campaignsView{CanCreate: p.Can(access.RecordWrite), Rules: screening.ConsentRules, Today: s.today().Format("2006-01-02"),
		Titles: s.instrumentTitles()}
	var err error
	if v.Campaigns, err = s.Screening.FindCampaigns(ctx, p); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.CanCreate {
		for _, k := range []org.Kind{org.City, org.District, org.GuidanceCentre, org.School} {
			units, err := s.Org.FindUnits(ctx, p, org.UnitFilter{Kind: k, Limit: 500})
			if err != nil {
				s.fail(w, r, err)
				return
			}
			for _, u := range units {
				if _, ok := p.At(access.RecordWrite, u.Path); ok {
					v.Owners = append(v.Owners, u)
					if k == org.School {
						v.Schools = append(v.Schools, u)
					}
				}
			}
		}
		for _, inst := range s.Screening.Instruments() {
			if screening.Administrable(inst) {
				v.Instruments = append(v.Instruments, inst)
			}
		}
	}
	pg.Title, pg.Active, pg.Data = "campaign.list", "campaigns", v
	s.render(w, r, status, "campaigns", pg)
}

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.invalid")
		return
	}
	f := r.PostForm
	owner, _ := strconv.ParseInt(f.Get("owner"), 10, 64)
	grade, _ := strconv.Atoi(f.Get("grade"))
	n := screening.NewCampaign{OrgUnitID: owner, Name: f.Get("name"), Instruments: f["instruments"],
		ConsentRule: f.Get("consent_rule"), ConsentText: f.Get("consent_text")}
	if t, err := time.ParseInLocation("2006-01-02", f.Get("starts"), displayZone); err == nil {
		n.StartsAt = t
	}
	if t, err := time.ParseInLocation("2006-01-02", f.Get("ends"), displayZone); err == nil {
		n.EndsAt = t.Add(24*time.Hour - time.Second) // the end date is the last day screening is open
	}
	for _, sid := range f["schools"] {
		id, err := strconv.ParseInt(sid, 10, 64)
		if err == nil {
			n.Targets = append(n.Targets, screening.Target{SchoolID: id, Grade: grade, ClassName: f.Get("class")})
		}
	}
	id, err := s.Screening.CreateCampaign(r.Context(), principal(r), n)
	if err == nil {
		http.Redirect(w, r, "/campaigns/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return
	}
	s.afterWrite(w, r, err, page{}, func(status int, pg page) { s.listCampaigns(w, r, status, pg) })
}

type campaignView struct {
	Campaign  *screening.Campaign
	Progress  []screening.ProgressRow
	Tiers     []screening.TierCount
	Students  []screening.StudentTier
	Excluded  []screening.ExcludedStudent
	CanWrite  bool
	ClassLink string
	Titles    map[string]instrument.Text
}

func (s *Server) campaign(w http.ResponseWriter, r *http.Request) {
	s.showCampaign(w, r, http.StatusOK, page{})
}

func (s *Server) showCampaign(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p, ctx := principal(r), r.Context()
	c, err := s.Screening.FindCampaignByID(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := campaignView{Campaign: c, ClassLink: s.baseURL(r) + "/c/" + strconv.FormatInt(id, 10), Titles: s.instrumentTitles()}
	_, v.CanWrite = p.At(access.RecordWrite, c.OrgPath)
	if v.Progress, err = s.Screening.Progress(ctx, p, id); err == nil {
		if v.Tiers, err = s.Screening.TierDistribution(ctx, p, id); err == nil {
			if v.Students, err = s.Screening.StudentsByTier(ctx, p, id); err == nil {
				v.Excluded, err = s.Screening.Excluded(ctx, p, id)
			}
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active, pg.Data = "campaign.detail", "campaigns", v
	s.render(w, r, status, "campaign", pg)
}

// recordConsent records a guardian's decision for the student with the
// given student number.
func (s *Server) recordConsent(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	p := principal(r)
	found, err := s.Student.FindStudents(r.Context(), p, student.StudentFilter{Query: r.PostFormValue("student_no"), Limit: 1})
	if err == nil && (len(found) == 0 || found[0].StudentNo != r.PostFormValue("student_no")) {
		err = apperr.Invalid("error.invalid", map[string]string{"student_no": "consent.student_unknown"})
	}
	if err == nil {
		err = s.Screening.RecordConsent(r.Context(), p, id, found[0].ID, screening.NewConsent{Decision: r.PostFormValue("decision"),
			GivenBy: r.PostFormValue("given_by"), Relation: r.PostFormValue("relation"), Method: r.PostFormValue("method")})
	}
	s.afterWrite(w, r, err, page{Flash: "consent.recorded"}, func(status int, pg page) { s.showCampaign(w, r, status, pg) })
}

type slipsView struct {
	Campaign *screening.Campaign
	School   string
	Slips    []slipView
	Link     string
}

type slipView struct {
	screening.Slip
	QR template.URL
}

// slips renders one school's access slips for printing, each with a QR
// code that opens the questionnaire with the code filled in.
func (s *Server) slips(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	school, _ := strconv.ParseInt(r.URL.Query().Get("school"), 10, 64)
	p, ctx := principal(r), r.Context()
	c, err := s.Screening.FindCampaignByID(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.Screening.Slips(ctx, p, id, school)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := slipsView{Campaign: c, Link: s.baseURL(r) + "/s"}
	for _, t := range c.Targets {
		if t.SchoolID == school {
			v.School = t.SchoolName
		}
	}
	for _, sl := range list {
		v.Slips = append(v.Slips, slipView{Slip: sl, QR: qrDataURL(v.Link + "?code=" + sl.Code)})
	}
	s.render(w, r, http.StatusOK, "slips", page{Title: "campaign.slips", Active: "campaigns", Data: v})
}

func qrDataURL(content string) template.URL {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return ""
	}
	if code, err = barcode.Scale(code, 132, 132); err != nil {
		return ""
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, code); err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
}

// baseURL is the scheme and host the request came to, for printed links;
// behind a TLS proxy (--secure-cookies) the scheme is https.
func (s *Server) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || s.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// instrumentTitles maps instrument ids to their titles, for campaign pages.
func (s *Server) instrumentTitles() map[string]instrument.Text {
	out := map[string]instrument.Text{}
	for _, inst := range s.Screening.Instruments() {
		out[inst.ID] = inst.Title
	}
	return out
}

// summaryView is a campaign's tiers by school, small counts hidden where
// the viewer may not see identities.
type summaryView struct {
	Campaign *screening.Campaign
	Schools  []screening.SchoolTiers
	Tiers    []string
}

// campaignSummary shows a campaign's tier counts by school to those who
// read reports; counts under 5 are hidden from viewers who may not see
// the school's identities.
func (s *Server) campaignSummary(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p, ctx := principal(r), r.Context()
	list, err := s.Screening.TierSummary(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Screening.CampaignName(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "campaign_summary", page{Title: "campaign.summary", Active: "campaigns",
		Data: summaryView{Campaign: c, Schools: list, Tiers: screening.TierOrder}})
}
