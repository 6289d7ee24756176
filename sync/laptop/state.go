package laptop

import (
	"context"
	"errors"
	"fmt"

	"zoufang/storage"
	"zoufang/sync"
)

// Status is the plain-language sync state of this laptop.
type Status struct {
	DeviceID    string
	Fingerprint string
	// Trust is the stored trust file (nil before enrolment); TrustProblem
	// says why it cannot be used (expired, damaged), nil when fine.
	Trust        *sync.Trust
	TrustProblem error
	// TrustWarning is set (Chinese) when the trust file expires within
	// TrustWarnBefore: the investigator should push or fetch a new one.
	TrustWarning string
	// Bundles lists every up bundle, oldest first.
	Bundles []Bundle
	// Unsent counts record versions made here that are in no bundle yet;
	// Undelivered counts those plus the versions of unacknowledged bundles.
	Unsent, Undelivered int
	// DownBundles counts district bundles imported.
	DownBundles int
}

// Count returns how many bundles are at stage s.
func (s Status) Count(st Stage) int {
	n := 0
	for _, b := range s.Bundles {
		if b.Stage() == st {
			n++
		}
	}
	return n
}

// Summary is one sentence for the investigator.
func (s Status) Summary() string {
	switch {
	case s.Trust == nil:
		return "本机尚未在区总工会登记：请生成登记申请文件交给区总工会，再导入区总工会的信任文件"
	case s.TrustProblem != nil:
		return s.TrustProblem.Error()
	case s.Undelivered == 0:
		return "全部数据已送达区总工会"
	}
	msg := fmt.Sprintf("还有 %d 条记录待送达区总工会", s.Undelivered)
	if h := s.Count(StageHanded); h > 0 {
		msg += fmt.Sprintf("（其中 %d 个同步包已交出，区总工会尚未确认）", h)
	}
	return msg
}

// State reports the sync state: the trust file, every up bundle with its
// stage (已送达 / 待送达 / 区总工会尚未确认) and how many record versions
// have not reached the district.
func (l *Laptop) State(ctx context.Context, db *storage.DB) (Status, error) {
	s := Status{DeviceID: l.id, Fingerprint: l.Fingerprint()}
	t, err := l.Trust()
	switch {
	case errors.Is(err, ErrNoTrust):
	case err != nil:
		s.TrustProblem = err
	default:
		s.Trust = t
		s.TrustProblem = t.Valid(l.now())
		s.TrustWarning = TrustWarning(t, l.now())
	}
	if s.Bundles, err = l.Bundles(ctx, db); err != nil {
		return s, err
	}
	if s.Unsent, err = l.unsent(ctx, db); err != nil {
		return s, err
	}
	s.Undelivered = s.Unsent
	for _, b := range s.Bundles {
		if b.Stage() != StageDelivered {
			s.Undelivered += b.Versions
		}
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM laptop_down`).Scan(&s.DownBundles); err != nil {
		return s, fmt.Errorf("sync state: %w", err)
	}
	return s, nil
}

// unsent counts the record versions made here that are in no bundle yet.
func (l *Laptop) unsent(ctx context.Context, db *storage.DB) (int, error) {
	var lastOutbox int64
	if err := db.QueryRow(ctx, `SELECT coalesce(max(last_outbox), 0) FROM laptop_bundles`).Scan(&lastOutbox); err != nil {
		return 0, fmt.Errorf("sync state: %w", err)
	}
	n, err := db.OutboxCount(ctx, lastOutbox)
	if err != nil {
		return 0, fmt.Errorf("sync state: %w", err)
	}
	return n, nil
}
