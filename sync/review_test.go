package sync

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"zoufang/survey"
)

func reviewVersion(t *testing.T, mod func(*survey.Review)) survey.Version {
	t.Helper()
	visit := bfUUID("visit 1")
	r := survey.Review{ID: survey.ReviewID(visit), VisitID: visit, EnterpriseID: bfUUID("enterprise 1"), VisitVersion: bfUUID("visit 1 v1"),
		Decision: survey.ReviewReturned, Comment: "请补充职工诉求", Fields: []survey.FieldComment{{Path: "demands[0].demand_description", Comment: "写清楚欠薪月份"}},
		Reviewer: "王科长", At: bfDay.Add(10 * time.Hour)}
	if mod != nil {
		mod(&r)
	}
	body, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return survey.Version{RecordID: survey.ReviewID(visit), VersionID: bfUUID("review v1"), Kind: survey.KindReview,
		Author: "市南区总工会", DeviceID: bfUUID("district"), Created: bfDay.Add(10 * time.Hour), Payload: body}
}

func TestValidateReviewVersion(t *testing.T) {
	if err := ValidateVersion(reviewVersion(t, nil)); err != nil {
		t.Fatalf("valid review refused: %v", err)
	}
	for name, v := range map[string]survey.Version{
		"deleted": func() survey.Version {
			v := reviewVersion(t, nil)
			v.Deleted, v.Payload = true, json.RawMessage("null")
			return v
		}(),
		"unknown decision":     reviewVersion(t, func(r *survey.Review) { r.Decision = "pending" }),
		"returned, no comment": reviewVersion(t, func(r *survey.Review) { r.Comment, r.Fields = "", nil }),
		"id of another visit": func() survey.Version {
			v := reviewVersion(t, func(r *survey.Review) { r.VisitID = bfUUID("visit 2") })
			return v
		}(),
		"bad field path": reviewVersion(t, func(r *survey.Review) { r.Fields[0].Path = "../etc" }),
		"unknown member": func() survey.Version {
			v := reviewVersion(t, nil)
			v.Payload = json.RawMessage(strings.Replace(string(v.Payload), `{"id"`, `{"score":5,"id"`, 1))
			return v
		}(),
	} {
		if err := ValidateVersion(v); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A down bundle carrying a review opens on the laptop it was sealed to.
func TestDownBundleCarriesReviews(t *testing.T) {
	dis, dev := bfKeys(t, "district"), bfKeys(t, "device A")
	h := Header{Kind: KindDown, DeviceID: bfDeviceA, Seq: 1, Created: bfDay}
	data, err := Seal(h, Payload{Versions: []survey.Version{reviewVersion(t, nil)}}, dis.Signing, dev.Public().Sealing)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBundleBytes(data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(dis.Public().Signing); err != nil {
		t.Fatal(err)
	}
	p, err := b.Open(dev.Sealing, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Versions) != 1 || p.Versions[0].Kind != survey.KindReview {
		t.Fatalf("payload %+v", p.Versions)
	}
}
