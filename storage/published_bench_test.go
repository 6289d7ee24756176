package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
)

// BenchmarkCheckStoredAnswers100k measures the check of stored answers a
// publication runs (district.PublishForm): every answer of 100,000 stored
// worker questionnaires held against the new version (survey.AnswerCensus),
// read outside the write transaction (read-ms), then what arrived since and
// the problems inside it (write-lock-ms). Uploads wait for the write lock,
// so that part must stay far within their busy timeout (10 s).
func BenchmarkCheckStoredAnswers100k(b *testing.B) {
	db := openTest(b)
	v2 := workerV2(b)
	const n = 100_000
	day := time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)
	vals := []string{"1", "2", "3", "4", "5"}
	err := db.Update(ctx, func(tx *Tx) error {
		vs := make([]survey.Version, 0, 1000)
		for i := 0; i < n; i++ {
			a := survey.Answers{"awareness": []string{"very", "know", "heard", "no"}[i%4], "participated": []string{"yes", "no"}[i%2],
				"help_most": "wages", "comment": fmt.Sprintf("第 %d 份问卷的意见：食堂饭菜希望改善，加班费按时发放。", i)}
			for j, f := range survey.SatisfactionFields {
				a[f] = vals[(i+j)%5]
			}
			id := uuid.NewString()
			p, _ := json.Marshal(survey.Response{ID: id, EnterpriseID: "e1", VisitID: "v1", FormID: "worker_questionnaire", FormVersion: 1, Kind: survey.RespondentWorker, Date: "2026-04-15", Answers: a})
			vs = append(vs, survey.Version{RecordID: id, VersionID: uuid.NewString(), Kind: survey.KindResponse, FormID: "worker_questionnaire", FormVersion: 1, Created: day, Payload: p})
			if len(vs) == cap(vs) {
				if _, err := tx.PutVersions(vs); err != nil {
					return err
				}
				vs = vs[:0]
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	errDone := errors.New("rolled back")
	b.ResetTimer()
	var problems int
	var read, locked time.Duration
	for b.Loop() {
		census := survey.NewAnswerCensus(v2)
		start := time.Now()
		through, err := db.CollectAnswers(ctx, "worker_questionnaire", census)
		if err != nil {
			b.Fatal(err)
		}
		read += time.Since(start)
		start = time.Now()
		err = db.Update(ctx, func(tx *Tx) error {
			if err := tx.CollectAnswersAfter("worker_questionnaire", census, through); err != nil {
				return err
			}
			problems = len(census.Problems())
			return errDone
		})
		if !errors.Is(err, errDone) {
			b.Fatal(err)
		}
		locked += time.Since(start)
		if census.Records != n {
			b.Fatalf("census of %d records, want %d", census.Records, n)
		}
	}
	if problems != 0 {
		b.Fatalf("%d problems", problems)
	}
	b.ReportMetric(float64(read.Milliseconds())/float64(b.N), "read-ms")
	b.ReportMetric(float64(locked.Milliseconds())/float64(b.N), "write-lock-ms")
}
