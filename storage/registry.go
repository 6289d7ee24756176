package storage

import (
	"context"
	"fmt"
	gosync "sync"

	"zoufang/assets"
	"zoufang/survey"
)

// Builtin returns the forms and the campaign shipped in the binary
// (package assets), parsed once.
func Builtin() (*survey.FormSet, *survey.Campaign, error) {
	builtinOnce.Do(func() {
		builtinForms, builtinErr = survey.LoadForms(assets.Forms())
		if builtinErr != nil {
			builtinErr = fmt.Errorf("built-in forms: %w", builtinErr)
			return
		}
		builtinCampaign, builtinErr = survey.ParseCampaign(assets.Campaign)
		if builtinErr != nil {
			builtinErr = fmt.Errorf("built-in campaign: %w", builtinErr)
		}
	})
	return builtinForms, builtinCampaign, builtinErr
}

var (
	builtinOnce     gosync.Once
	builtinForms    *survey.FormSet
	builtinCampaign *survey.Campaign
	builtinErr      error
)

// Registry is the forms and the campaign in force on one database: the
// built-in ones and every form version and campaign revision the district
// published (at the district) or sent down (on a laptop). New records use
// the newest version of the campaign's forms; a record keeps the version it
// was started on, which the registry still holds. It reloads when a
// publication was stored since it last looked, by this process or another
// (a cheap query on the small published_* tables), so a district server
// sees a form published by the workbench at once and a laptop one that
// arrived in a down bundle.
type Registry struct {
	db *DB

	mu    gosync.Mutex
	stamp [2]int64
	forms *survey.FormSet
	camp  *survey.Campaign
}

// NewRegistry returns the registry of db.
func NewRegistry(db *DB) *Registry { return &Registry{db: db, stamp: [2]int64{-1, -1}} }

// Forms returns every form version in force.
func (r *Registry) Forms(ctx context.Context) (*survey.FormSet, error) {
	if err := r.refresh(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.forms, nil
}

// Campaign returns the campaign in force: the newest revision published,
// else the built-in one.
func (r *Registry) Campaign(ctx context.Context) (*survey.Campaign, error) {
	if err := r.refresh(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.camp, nil
}

func (r *Registry) refresh(ctx context.Context) error {
	var stamp [2]int64
	if err := r.db.read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM published_forms), (SELECT ifnull(max(revision), 0) FROM published_campaign)`).Scan(&stamp[0], &stamp[1]); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	r.mu.Lock()
	same := stamp == r.stamp
	r.mu.Unlock()
	if same {
		return nil
	}
	forms, camp, err := r.db.loadRegistry(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.stamp, r.forms, r.camp = stamp, forms, camp
	r.mu.Unlock()
	return nil
}

// loadRegistry reads the forms and campaign in force.
func (db *DB) loadRegistry(ctx context.Context) (*survey.FormSet, *survey.Campaign, error) {
	builtin, camp, err := Builtin()
	if err != nil {
		return nil, nil, err
	}
	pub, err := db.PublishedForms(ctx)
	if err != nil {
		return nil, nil, err
	}
	pc, err := db.PublishedCampaign(ctx)
	if err != nil {
		return nil, nil, err
	}
	return mergeForms(builtin, pub), campaignOf(camp, pc), nil
}

// Registry is the forms and campaign in force, read inside the
// transaction (for checks that guard a publication).
func (tx *Tx) Registry() (*survey.FormSet, *survey.Campaign, error) {
	builtin, camp, err := Builtin()
	if err != nil {
		return nil, nil, err
	}
	pub, err := tx.PublishedForms()
	if err != nil {
		return nil, nil, err
	}
	pc, err := tx.PublishedCampaign()
	if err != nil {
		return nil, nil, err
	}
	return mergeForms(builtin, pub), campaignOf(camp, pc), nil
}

// mergeForms is the built-in forms with the published ones; a published
// version wins over a built-in one with the same id and version (records
// filled on it were filled on what the district published).
func mergeForms(builtin *survey.FormSet, pub []PublishedFormInfo) *survey.FormSet {
	all := builtin.Forms()
	for _, p := range pub {
		all = append(all, p.Form)
	}
	return survey.NewFormSet(all...)
}

func campaignOf(builtin *survey.Campaign, pc *PublishedCampaignInfo) *survey.Campaign {
	if pc != nil {
		return pc.Campaign
	}
	return builtin
}
