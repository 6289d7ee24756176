package district

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
)

// BenchmarkImport10kVisits merges one bundle of 10,000 visits at the
// district, and in the same run inserts the same rows into a bare SQLite
// table as a yardstick. Target: ≥ 5,000 visits/s.
func BenchmarkImport10kVisits(b *testing.B) {
	const n = 10_000
	var merge, plain time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d := newDistrict(b)
		l := enrol(b, d, "张伟")
		vs := make([]survey.Version, n)
		for j := range vs {
			vs[j] = l.visit(uuid.NewString(), j%600, survey.SampleVisitAnswers("2026-11-20", 2))
		}
		data := l.bundle(b, d, vs...)
		b.StartTimer()
		start := time.Now()
		mustImport(b, d, data, Applied)
		merge += time.Since(start)
		b.StopTimer()

		// Yardstick: the same payloads into one plain table, one transaction.
		db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "plain.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
		if err != nil {
			b.Fatal(err)
		}
		db.Exec(`CREATE TABLE t (id TEXT PRIMARY KEY, record TEXT, payload BLOB)`)
		start = time.Now()
		tx, _ := db.Begin()
		st, _ := tx.Prepare(`INSERT INTO t VALUES (?, ?, ?)`)
		for _, v := range vs {
			if _, err := st.Exec(v.VersionID, v.RecordID, []byte(v.Payload)); err != nil {
				b.Fatal(err)
			}
		}
		tx.Commit()
		plain += time.Since(start)
		db.Close()
		b.StartTimer()
	}
	rate := float64(n*b.N) / merge.Seconds()
	b.ReportMetric(rate, "visits/s")
	b.ReportMetric(float64(n*b.N)/plain.Seconds(), "plain-inserts/s")
	b.ReportMetric(plain.Seconds()/merge.Seconds(), "ratio-to-plain")
}
