package district

// Publishing forms and the campaign. A district administrator publishes a
// new form version or campaign revision (from the workbench); it becomes a
// record of kind "form" or "campaign" that every laptop receives in its
// next down bundle, signed by the district. Devices may never send such
// records (checkDistrictOnly).
//
// A form version is published only if it may replace the newest version
// in force (survey.CheckUpgrade: higher version, same kind, nothing
// removed, no type changed, no option deleted) and keeps readable every
// answer actually stored here (survey.AnswerCensus over the current
// versions of the visits and responses filled on that form). The bulk of
// the stored answers is read before the write transaction (100,000
// responses take seconds, and uploads would wait for the lock); inside it
// the check adds every record that arrived since, runs CheckUpgrade and
// writes, so nothing another process stores in between escapes it. When the campaign uses the form,
// it moves to the new version in the same transaction: the campaign always
// names the versions laptops use for new records.

import (
	"context"
	"fmt"
	"strings"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
)

// PublishError refuses a publication: every problem found, nothing
// written.
type PublishError struct {
	What     string // "表单 worker_questionnaire 第 2 版" or "活动配置"
	Problems []survey.Problem
}

func (e *PublishError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
		if p.Path != "" {
			msgs[i] = p.Path + "：" + p.Message
		}
	}
	return fmt.Sprintf("%s不能发布：%s。未做任何修改", e.What, strings.Join(msgs, "；"))
}

// FormCheck is what publishing a form version would do, for the preview.
type FormCheck struct {
	Form *survey.Form
	// Previous is the newest version of the form in force (built in or
	// published); nil for a form not published before.
	Previous *survey.Form
	// Upgrade says why it may not replace Previous (survey.CheckUpgrade,
	// or a new form without a kind); Answers, which answers stored here it
	// would orphan (survey.AnswerCensus). Both empty: it may be published.
	Upgrade, Answers []survey.Problem
	// Collected is how many stored visits and responses on this form
	// were checked.
	Collected int
	// Campaign is the campaign as it will be after publishing (moved to
	// this version when it uses the form); CampaignMoves says whether it
	// moves.
	Campaign      *survey.Campaign
	CampaignMoves bool
}

// Forms are the forms in force at the district: built-in and published.
func (d *District) Forms(ctx context.Context) (*survey.FormSet, error) {
	set, err := d.registry.Forms(ctx)
	if err != nil {
		return nil, d.fail(err, "forms")
	}
	return set, nil
}

// Campaign is the campaign in force at the district.
func (d *District) Campaign(ctx context.Context) (*survey.Campaign, error) {
	c, err := d.registry.Campaign(ctx)
	if err != nil {
		return nil, d.fail(err, "campaign")
	}
	return c, nil
}

// PublishedForms lists the form versions published here, with who
// published them and when.
func (d *District) PublishedForms(ctx context.Context) ([]storage.PublishedFormInfo, error) {
	fs, err := d.db.PublishedForms(ctx)
	if err != nil {
		return nil, d.fail(err, "published forms")
	}
	return fs, nil
}

// PublishedCampaign is the campaign revision published here; nil when
// the built-in campaign is in force.
func (d *District) PublishedCampaign(ctx context.Context) (*storage.PublishedCampaignInfo, error) {
	c, err := d.db.PublishedCampaign(ctx)
	if err != nil {
		return nil, d.fail(err, "published campaign")
	}
	return c, nil
}

// Problems are all the reasons f may not be published.
func (fc FormCheck) Problems() []survey.Problem {
	return append(append([]survey.Problem(nil), fc.Upgrade...), fc.Answers...)
}

// CheckForm says whether f could be published now and what it would
// change, without writing anything (the preview; PublishForm checks again
// when it publishes).
func (d *District) CheckForm(ctx context.Context, f *survey.Form) (FormCheck, error) {
	census := survey.NewAnswerCensus(f)
	through, err := d.db.CollectAnswers(ctx, f.ID, census)
	if err != nil {
		return FormCheck{}, d.fail(err, "check form")
	}
	var fc FormCheck
	err = d.db.Update(ctx, func(tx *storage.Tx) error {
		var err error
		fc, err = checkFormTx(tx, f, census, through)
		return errRollback(err)
	})
	if err != nil && err != errReadOnly {
		return fc, d.fail(err, "check form")
	}
	return fc, nil
}

// errReadOnly rolls back a transaction that only read: CheckForm reads in
// a write transaction to see exactly what PublishForm would.
var errReadOnly = fmt.Errorf("read only")

func errRollback(err error) error {
	if err != nil {
		return err
	}
	return errReadOnly
}

// checkFormTx runs every publication check of f inside tx. census holds
// the stored answers read before the transaction, through arrival number
// through; what arrived since is added here.
func checkFormTx(tx *storage.Tx, f *survey.Form, census *survey.AnswerCensus, through int64) (FormCheck, error) {
	fc := FormCheck{Form: f}
	forms, camp, err := tx.Registry()
	if err != nil {
		return fc, err
	}
	if prev, ok := forms.Latest(f.ID); ok {
		fc.Previous = prev
		fc.Upgrade = survey.CheckUpgrade(prev, f)
	} else if f.Kind == "" {
		fc.Upgrade = append(fc.Upgrade, survey.Problem{Path: "kind", Field: "kind", Property: "kind",
			Message: "新表单必须写明类别 (kind)：visit、worker_questionnaire 或 enterprise_questionnaire"})
	}
	if err := tx.CollectAnswersAfter(f.ID, census, through); err != nil {
		return fc, err
	}
	fc.Collected = census.Records
	fc.Answers = census.Problems()
	fc.Campaign, fc.CampaignMoves = camp.WithForm(f)
	return fc, nil
}

// PublishResult says what a publication did.
type PublishResult struct {
	Form survey.FormRef
	// CampaignRevision is the campaign revision published with the form
	// (it moved to the new version), 0 when the campaign did not change.
	CampaignRevision int
}

// PublishForm publishes f as a new form version, by whom (an account
// name) and from which file, after every check of CheckForm, in one write
// transaction with its audit entry. A refusal is a *PublishError listing
// every problem; nothing is written then.
func (d *District) PublishForm(ctx context.Context, f *survey.Form, by, source string) (PublishResult, error) {
	res := PublishResult{Form: survey.FormRef{ID: f.ID, Version: f.Version}}
	if strings.TrimSpace(by) == "" {
		return res, errorf(CodeInvalidArgument, "请说明是谁发布的")
	}
	what := fmt.Sprintf("表单 %s 第 %d 版", f.ID, f.Version)
	// The stored answers are read first, outside the write lock; the
	// transaction adds what arrived since.
	census := survey.NewAnswerCensus(f)
	through, err := d.db.CollectAnswers(ctx, f.ID, census)
	if err != nil {
		return res, d.fail(err, "publish form")
	}
	err = d.db.Update(ctx, func(tx *storage.Tx) error {
		fc, err := checkFormTx(tx, f, census, through)
		if err != nil {
			return err
		}
		if ps := fc.Problems(); len(ps) > 0 {
			return &PublishError{What: what, Problems: ps}
		}
		v, err := tx.PublishForm(f, by, source)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("发布%s《%s》（%s，%d 道题", what, f.Title, survey.KindName(f.Kind), survey.CountQuestions(f))
		if source != "" {
			detail += "，来自 " + source
		}
		detail += "）"
		if fc.Previous != nil {
			_, changes := survey.Outline(f, fc.Previous)
			detail += fmt.Sprintf("；与第 %d 版相比：", fc.Previous.Version)
			if len(changes) == 0 {
				detail += "内容相同"
			} else {
				detail += strings.Join(changes, "；")
			}
		}
		if err := audit.Record(tx, audit.Entry{Actor: by, Action: "form.publish", Target: v.RecordID, Detail: detail}); err != nil {
			return err
		}
		if !fc.CampaignMoves {
			return nil
		}
		reason := fmt.Sprintf("发布%s，活动改用新版本", what)
		rev, cv, err := tx.PublishCampaign(fc.Campaign, by, reason)
		if err != nil {
			return err
		}
		res.CampaignRevision = rev
		return audit.Record(tx, audit.Entry{Actor: by, Action: "campaign.publish", Target: cv.RecordID,
			Detail: fmt.Sprintf("活动配置第 %d 次发布：%s改用第 %d 版", rev, survey.KindName(f.Kind), f.Version), Reason: reason})
	})
	if err != nil {
		if pe, ok := err.(*PublishError); ok {
			return res, pe
		}
		return res, d.fail(err, "publish form")
	}
	d.log.Info("form published", "form", f.ID, "version", f.Version, "by", by, "campaign_revision", res.CampaignRevision)
	return res, nil
}

// CampaignCheck is what publishing a campaign file would do.
type CampaignCheck struct {
	Campaign *survey.Campaign
	// Current is the campaign in force and Revision its revision (0: the
	// built-in one).
	Current  *survey.Campaign
	Revision int
	Problems []survey.CampaignProblem
}

// CheckCampaign says whether c could be published now, without writing.
func (d *District) CheckCampaign(ctx context.Context, c *survey.Campaign) (CampaignCheck, error) {
	var cc CampaignCheck
	err := d.db.Update(ctx, func(tx *storage.Tx) error {
		var err error
		cc, err = checkCampaignTx(tx, c)
		return errRollback(err)
	})
	if err != nil && err != errReadOnly {
		return cc, d.fail(err, "check campaign")
	}
	return cc, nil
}

func checkCampaignTx(tx *storage.Tx, c *survey.Campaign) (CampaignCheck, error) {
	cc := CampaignCheck{Campaign: c}
	forms, current, err := tx.Registry()
	if err != nil {
		return cc, err
	}
	cc.Current = current
	pc, err := tx.PublishedCampaign()
	if err != nil {
		return cc, err
	}
	if pc != nil {
		cc.Revision = pc.Revision
	}
	cc.Problems = append(c.Check(), c.CheckForms(forms)...)
	if len(cc.Problems) == 0 && string(c.JSON()) == string(current.JSON()) {
		cc.Problems = append(cc.Problems, survey.CampaignProblem{Message: "与正在使用的活动配置完全相同，无需发布"})
	}
	return cc, nil
}

// PublishCampaign publishes c as the campaign's next revision, by whom and
// why, after every check of CheckCampaign, in one write transaction with
// its audit entry. It returns the revision number. A refusal is a
// *PublishError; nothing is written then.
func (d *District) PublishCampaign(ctx context.Context, c *survey.Campaign, by, reason string) (int, error) {
	if strings.TrimSpace(by) == "" {
		return 0, errorf(CodeInvalidArgument, "请说明是谁发布的")
	}
	var rev int
	err := d.db.Update(ctx, func(tx *storage.Tx) error {
		cc, err := checkCampaignTx(tx, c)
		if err != nil {
			return err
		}
		if len(cc.Problems) > 0 {
			pe := &PublishError{What: "活动配置"}
			for _, p := range cc.Problems {
				pe.Problems = append(pe.Problems, survey.Problem{Path: p.Path, Message: p.Message})
			}
			return pe
		}
		r, v, err := tx.PublishCampaign(c, by, reason)
		if err != nil {
			return err
		}
		rev = r
		return audit.Record(tx, audit.Entry{Actor: by, Action: "campaign.publish", Target: v.RecordID,
			Detail: fmt.Sprintf("活动配置第 %d 次发布：“%s”（%d 年，%d 个阶段，%s至%s）", r, c.Name, c.Year, len(c.Phases), c.Phases[0].Start, c.Phases[len(c.Phases)-1].End), Reason: reason})
	})
	if err != nil {
		if pe, ok := err.(*PublishError); ok {
			return 0, pe
		}
		return 0, d.fail(err, "publish campaign")
	}
	d.log.Info("campaign published", "campaign", c.ID, "revision", rev, "by", by)
	return rev, nil
}

// checkDistrictOnly refuses an up bundle carrying a record only the
// district writes (a form or the campaign): laptops receive them, they
// never send them. It needs no district state.
func checkDistrictOnly(vs []survey.Version) *Error {
	for i, v := range vs {
		if v.Kind.DistrictOnly() {
			return errorf(CodeInvalidContent, "第 %d 条记录（%s %s）：表单和活动配置只能由区总工会发布，笔记本不能发送", i+1, kindText(v.Kind), short(v.RecordID))
		}
	}
	return nil
}
