package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/referral"
)

// errUploadTooBig is a referral form larger than its documents may be.
var errUploadTooBig = errors.New("referral form too large")

// readReferralForm reads a referral form: a multipart form is read part by
// part into memory, so that no document is ever spilled to a temporary
// file in clear; a plain form is parsed as usual. The values also become
// r.PostForm, for a form shown again.
func readReferralForm(w http.ResponseWriter, r *http.Request) (url.Values, []referral.Document, error) {
	r.Body = http.MaxBytesReader(w, r.Body, referral.MaxDocuments*referral.MaxDocumentBytes+1<<20)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		err := r.ParseForm()
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return r.PostForm, nil, errUploadTooBig
		}
		return r.PostForm, nil, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return url.Values{}, nil, err
	}
	values := url.Values{}
	var docs []referral.Document
	defer func() { r.PostForm = values }()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return values, docs, nil
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return values, docs, errUploadTooBig
			}
			return values, docs, err
		}
		name := part.FormName()
		if part.FileName() != "" {
			// One byte over the limit is enough for the service to refuse it.
			body, err := io.ReadAll(io.LimitReader(part, referral.MaxDocumentBytes+1))
			if err != nil {
				return values, docs, errUploadTooBig
			}
			if len(body) > 0 {
				docs = append(docs, referral.Document{Name: part.FileName(), Body: body})
			}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, 64<<10))
		if err != nil {
			return values, docs, errUploadTooBig
		}
		if name != "" {
			values.Add(name, string(v))
		}
	}
}

// formInt reads an integer field, 0 if absent or bad.
func formInt(f url.Values, name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(f.Get(name)), 10, 64)
	return n
}

// formDateTime reads a datetime-local field (China time).
func formDateTime(f url.Values, name string) time.Time {
	t, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(f.Get(name)), displayZone)
	if err != nil {
		return time.Time{}
	}
	return t
}

// consentForm reads the consent fields of a referral form.
func consentForm(f url.Values) referral.Consent {
	return referral.Consent{Given: f.Get("consent_given") == "yes", By: f.Get("consent_by"), At: formDateTime(f, "consent_at"),
		How: f.Get("consent_how"), Version: f.Get("consent_version"), Detail: f.Get("consent_detail") == "1"}
}

// newReferralForm reads a new referral from the form.
func newReferralForm(f url.Values, docs []referral.Document) referral.NewReferral {
	age, _ := strconv.Atoi(strings.TrimSpace(f.Get("child_age")))
	return referral.NewReferral{Source: f.Get("source"), SourceID: formInt(f, "source_id"), StudentID: formInt(f, "student"),
		Child:    referral.Identity{Name: f.Get("child_name"), Gender: f.Get("child_gender"), Age: age},
		FromUnit: formInt(f, "from_unit"), ToUnit: formInt(f, "to_unit"), Urgency: f.Get("urgency"), Reason: f.Get("reason"),
		ShareGuardian: f.Get("share_guardian") == "1", Consent: consentForm(f), Documents: docs}
}
