package storage

import (
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sort"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
)

// benchRoster returns the directory of a database holding n fictional
// enterprises, built once per test binary run.
var (
	benchDirs   = map[int]string{}
	benchDirsMu gosync.Mutex
)

func benchRoster(b *testing.B, n int) string {
	b.Helper()
	benchDirsMu.Lock()
	defer benchDirsMu.Unlock()
	if dir, ok := benchDirs[n]; ok {
		return dir
	}
	dir, err := os.MkdirTemp("", "zoufang-bench-")
	if err != nil {
		b.Fatal(err)
	}
	db, err := OpenDir(dir, Options{Synchronous: "NORMAL", DeviceID: testDevice})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewSource(1))
	syll := []rune("海信华安恒通顺丰金沙绿源蓝海明月利群万达四方阳光东方北方新天地碧水港湾红星锦江长城泰山黄河松柏")
	kinds := []string{"机械", "电子", "纺织", "物流", "建设", "食品", "软件", "商贸", "餐饮", "物业"}
	districts := []string{"市南区", "市北区", "李沧区", "崂山区", "黄岛区", "城阳区", "即墨区", "胶州市", "平度市", "莱西市"}
	err = db.Update(ctx, func(tx *Tx) error {
		for i := 0; i < n; i++ {
			name := "青岛" + string(syll[rng.Intn(len(syll))]) + string(syll[rng.Intn(len(syll))]) + kinds[rng.Intn(len(kinds))] + "有限公司"
			body := fmt.Sprintf("91370200%09d", i)
			c, _ := survey.USCCCheckChar(body)
			e := survey.Enterprise{ID: uuid.NewString(), Name: name, USCC: body + string(c), District: districts[i%len(districts)], Street: "街道", Industry: kinds[i%len(kinds)], Workers: i % 900}
			if _, err := tx.createVersion(survey.KindEnterprise, e.ID, "", 0, e, false, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	benchDirs[n] = dir
	return dir
}

func TestMain(m *testing.M) {
	if dir := os.Getenv("ZOUFANG_STORAGE_CHILD"); dir != "" {
		os.Exit(holdOpen(dir))
	}
	if dir := os.Getenv(rateOpenEnv); dir != "" {
		os.Exit(rateOpenChild(dir))
	}
	code := m.Run()
	for _, d := range benchDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// BenchmarkSearch100k types queries into a 100,000-enterprise roster.
// Target: p95 ≤ 20 ms per query.
func BenchmarkSearch100k(b *testing.B) {
	dir := benchRoster(b, 100_000)
	db, err := OpenDir(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	before := liveHeap()
	start := time.Now()
	if err := db.WarmSearch(ctx); err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	indexBytes := liveHeap() - before
	queries := []string{"q", "qd", "qdh", "hx", "海", "海信", "haixin", "91370200000", "913702000001234", "物流", "jxyx", "不存在", "qd wl", "lanhai"}
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := EnterpriseQuery{Text: queries[i%len(queries)], Limit: 200}
		if i%3 == 0 {
			q.District = "崂山区"
		}
		t := time.Now()
		if _, err := db.SearchEnterprises(ctx, q); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	b.ReportMetric(float64(build.Milliseconds()), "index-build-ms")
	b.ReportMetric(float64(indexBytes)/(1<<20), "index-MB")
	b.ReportMetric(float64(percentile(ds, 0.95).Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(percentile(ds, 0.50).Microseconds())/1000, "p50-ms")
}

// BenchmarkSaveVisitAnswer saves one changed answer as a new version with
// synchronous=FULL, as autosave does. Target: p99 ≤ 15 ms.
func BenchmarkSaveVisitAnswer(b *testing.B) {
	dir := b.TempDir()
	db, err := OpenDir(dir, Options{DeviceID: testDevice, Author: testAuthor})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	e := addEnterprise(b, db, "基准测试企业", uscc("91370200163562681"))
	v, err := db.CreateVisit(ctx, e.ID, visitForm(b))
	if err != nil {
		b.Fatal(err)
	}
	v.Answers = survey.SampleVisitAnswers("2026-04-15", 5)
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.Answers["difficulties_note"] = fmt.Sprintf("第 %d 次修改", i)
		t := time.Now()
		if v, err = db.SaveVisit(ctx, v); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(ds, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(percentile(ds, 0.50).Microseconds())/1000, "p50-ms")
}
