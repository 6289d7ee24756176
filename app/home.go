package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/laptop"
)

// homeRow is one of my enterprises with its visit status.
type homeRow struct {
	ent    survey.Enterprise
	status survey.VisitStatus // "" = 未走访
	// review is the district's review state of its visit (review.go);
	// a returned visit is listed first with visitID and the comment.
	review  survey.ReviewState
	visitID string
	comment string
}

// homeData is what the home screen loads in the background.
type homeData struct {
	roster  int // enterprises in the roster
	rows    []homeRow
	counts  map[survey.VisitStatus]int
	overdue []survey.LedgerItem
	names   map[string]string // enterprise id -> name, for ledger rows
	open    int               // open ledger items
	// returned counts visits the district returned for changes.
	returned int
	// trust warns that the district's trust file expires soon or has
	// expired (Chinese); "" when all is well.
	trust string
	// forms and campaign in force, read again on every refresh.
	forms    *survey.FormSet
	campaign *survey.Campaign
}

// loadRegistry reads the forms and campaign in force (off the UI
// goroutine); the caller stores them in the ui on the UI goroutine.
func (u *ui) loadRegistry() (*survey.FormSet, *survey.Campaign, error) {
	ctx := context.Background()
	forms, err := u.registry.Forms(ctx)
	if err != nil {
		return nil, nil, err
	}
	camp, err := u.registry.Campaign(ctx)
	return forms, camp, err
}

// homeScreen shows the campaign phase, my enterprises and what is overdue.
type homeScreen struct {
	u           *ui
	campaign    *textBlock
	phase       *textBlock
	counts      *textBlock
	mine        *widget.List
	mineEmpty   *textBlock
	firstRun    *fyne.Container // what to do while the roster is empty
	importBtn   *widget.Button
	downBtn     *widget.Button
	addBtn      *widget.Button
	overdue     *widget.List
	overdueHead *widget.Label
	trustWarn   *textBlock // the trust file expires soon: push or import a new one
	rosterBtn   *widget.Button
	ledgerBtn   *widget.Button
	syncBtn     *widget.Button
	settingsBtn *widget.Button
	data        homeData
	content     fyne.CanvasObject
}

func newHomeScreen(u *ui) *homeScreen {
	h := &homeScreen{u: u}
	h.campaign = boldText(u.campaign.Name)
	h.campaign.SizeName = theme.SizeNameSubHeadingText
	h.phase = newTextBlock(phaseText(u))
	h.trustWarn = newTextBlock("")
	h.trustWarn.Importance = widget.WarningImportance
	h.trustWarn.Hide()
	h.counts = newTextBlock("正在读取……")

	h.rosterBtn = widget.NewButtonWithIcon("企业名录", theme.SearchIcon(), func() { showRoster(u) })
	h.ledgerBtn = widget.NewButtonWithIcon("工作台帐", theme.ListIcon(), func() { showLedger(u) })
	h.syncBtn = widget.NewButtonWithIcon("同步", theme.UploadIcon(), func() { showSync(u) })
	h.settingsBtn = widget.NewButtonWithIcon("设置", theme.SettingsIcon(), func() { showSettings(u) })
	h.rosterBtn.Importance = widget.HighImportance

	h.mine = widget.NewList(
		func() int { return len(h.data.rows) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("企业名称占位")
			name.Truncation = fyne.TextTruncateEllipsis
			status := widget.NewLabel("已签字确认")
			return container.NewBorder(nil, nil, nil, status, name)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(h.data.rows) {
				return
			}
			r := h.data.rows[id]
			c := o.(*fyne.Container)
			name := r.ent.Name + "（" + r.ent.District + r.ent.Street + "）"
			st := c.Objects[1].(*widget.Label)
			st.SetText(statusLabel(r.status))
			st.Importance = statusImportance(r.status)
			switch r.review {
			case survey.ReviewStateReturn:
				name = r.ent.Name + "　区总工会意见：" + r.comment
				st.SetText("退回修改")
				st.Importance = widget.DangerImportance
			case survey.ReviewStateOK, survey.ReviewResubmitted:
				st.SetText(statusLabel(r.status) + " · " + r.review.Label())
			}
			c.Objects[0].(*widget.Label).SetText(name)
			st.Refresh()
		})
	h.mine.OnSelected = func(id widget.ListItemID) {
		h.mine.UnselectAll()
		if id >= len(h.data.rows) {
			return
		}
		r := h.data.rows[id]
		if r.visitID != "" {
			// A returned visit opens at once, with the comments.
			if v, err := u.db.Visit(context.Background(), r.visitID); err == nil {
				openVisit(u, r.ent, v)
				return
			}
		}
		showEnterprise(u, r.ent)
	}
	h.mineEmpty = newTextBlock("还没有分配给本机的企业。可在“企业名录”中查找企业并开始走访。")
	h.mineEmpty.Hide()
	// A fresh laptop has an empty roster: say where one comes from.
	h.importBtn = widget.NewButtonWithIcon("导入企业名录文件", theme.FolderOpenIcon(), func() { showSettings(u).onImport() })
	h.importBtn.Importance = widget.HighImportance
	h.downBtn = widget.NewButtonWithIcon("导入区总工会下发包", theme.DownloadIcon(), func() { showSync(u) })
	h.addBtn = widget.NewButtonWithIcon("手工新增企业", theme.ContentAddIcon(), func() {
		u.askAddEnterprise(func(survey.Enterprise) { h.refresh() })
	})
	firstRunText := newTextBlock("企业名录还是空的，先要有要走访的企业：\n" +
		"· 区总工会给了名录表格（.csv 或 .xlsx）：点“导入企业名录文件”，也可以在“设置”里导入；\n" +
		"· 区总工会下发了同步包（U盘里的 .zfb 文件）：点“导入区总工会下发包”，在“同步”页导入；\n" +
		"· 要走访的企业不在名录里：点“手工新增企业”，填写企业名称和统一社会信用代码。")
	h.firstRun = container.NewVBox(firstRunText, newFlow(h.importBtn, h.downBtn, h.addBtn))
	h.firstRun.Hide()

	h.overdueHead = widget.NewLabelWithStyle("超期台帐", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.overdue = widget.NewList(
		func() int { return len(h.data.overdue) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("超期 10 天：企业名称")
			l.Truncation = fyne.TextTruncateEllipsis
			l.Importance = widget.DangerImportance
			return l
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(h.data.overdue) {
				return
			}
			it := h.data.overdue[id]
			o.(*widget.Label).SetText(overdueText(it, u.now()) + "　" + h.data.names[it.EnterpriseID] + "：" + it.Description)
		})
	h.overdue.OnSelected = func(widget.ListItemID) {
		h.overdue.UnselectAll()
		showLedger(u)
	}

	nav := newFlow(h.rosterBtn, h.ledgerBtn, h.syncBtn, h.settingsBtn)
	head := container.NewVBox(h.campaign, h.phase, h.trustWarn, nav, widget.NewSeparator(), h.counts)
	mine := container.NewBorder(widget.NewLabelWithStyle("我的走访企业", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil,
		container.NewStack(h.mine, container.NewVScroll(container.NewVBox(h.mineEmpty, h.firstRun))))
	over := container.NewBorder(h.overdueHead, nil, nil, nil, h.overdue)
	split := container.NewHSplit(mine, over)
	split.Offset = 0.6
	h.content = container.NewBorder(head, nil, nil, nil, split)
	return h
}

// phaseText says where today stands in the campaign in force: the
// current phase, or when it starts, resumes or ended.
func phaseText(u *ui) string {
	return u.campaign.Status(u.now())
}

// refresh reloads everything in the background.
func (h *homeScreen) refresh() {
	u := h.u
	var d homeData
	dataDir := u.dataDir
	runInBackground(func() error {
		var err error
		d, err = loadHome(context.Background(), u.db, u.device.DeviceID, u.now)
		d.trust = trustNotice(dataDir, u.now)
		if err == nil {
			// What the district sent last (a new form version, new dates).
			d.forms, d.campaign, err = u.loadRegistry()
		}
		return err
	}, func(err error) {
		if err != nil {
			u.showError("读取首页数据失败", err)
			return
		}
		h.apply(d)
	})
}

func (h *homeScreen) apply(d homeData) {
	h.data = d
	if d.campaign != nil {
		h.u.forms, h.u.campaign = d.forms, d.campaign
		h.campaign.SetText(d.campaign.Name)
		h.phase.SetText(phaseText(h.u))
	}
	if shown := h.trustWarn.Visible(); d.trust != h.trustWarn.Text || shown != (d.trust != "") {
		h.trustWarn.SetText(d.trust)
		if d.trust != "" {
			h.trustWarn.Show()
		} else {
			h.trustWarn.Hide()
		}
		h.content.Refresh() // the header grew or shrank: lay it out again
	}
	counts := fmt.Sprintf("未走访 %d　　草稿 %d　　已完成 %d　　已签字确认 %d　　台帐未办结 %d",
		d.counts[""], d.counts[survey.VisitDraft], d.counts[survey.VisitFinalized], d.counts[survey.VisitSigned], d.open)
	if d.returned > 0 {
		counts = fmt.Sprintf("区总工会退回修改 %d　　", d.returned) + counts
	}
	h.counts.SetText(counts)
	if len(d.overdue) > 0 {
		h.overdueHead.SetText(fmt.Sprintf("超期台帐（%d 项）", len(d.overdue)))
		h.overdueHead.Importance = widget.DangerImportance
	} else {
		h.overdueHead.SetText("超期台帐：无")
		h.overdueHead.Importance = widget.MediumImportance
	}
	h.overdueHead.Refresh()
	switch {
	case d.roster == 0:
		h.mineEmpty.Hide()
		h.firstRun.Show()
	case len(d.rows) == 0:
		h.mineEmpty.Show()
		h.firstRun.Hide()
	default:
		h.mineEmpty.Hide()
		h.firstRun.Hide()
	}
	h.mine.Refresh()
	h.overdue.Refresh()
}

// maxHomeRows bounds the home list; the roster screen finds everything else.
const maxHomeRows = 1000

// loadHome gathers my enterprises (assigned to this device, or visited
// here), their statuses and the overdue ledger items.
func loadHome(ctx context.Context, db *storage.DB, deviceID string, now func() time.Time) (homeData, error) {
	d := homeData{counts: map[survey.VisitStatus]int{}, names: map[string]string{}}
	n, err := db.EnterpriseCount(ctx)
	if err != nil {
		return d, fmt.Errorf("home: %w", err)
	}
	d.roster = n
	statuses, err := db.VisitStatuses(ctx)
	if err != nil {
		return d, fmt.Errorf("home: %w", err)
	}
	var assigned []survey.Enterprise
	if deviceID != "" {
		assigned, err = db.SearchEnterprises(ctx, storage.EnterpriseQuery{AssignedTo: deviceID, Limit: maxHomeRows})
		if err != nil {
			return d, fmt.Errorf("home: %w", err)
		}
	}
	seen := map[string]bool{}
	for _, e := range assigned {
		seen[e.ID] = true
		d.rows = append(d.rows, homeRow{ent: e, status: statuses[e.ID]})
	}
	var visited []string
	for id := range statuses {
		if !seen[id] {
			visited = append(visited, id)
		}
	}
	sort.Strings(visited)
	for _, id := range visited {
		if len(d.rows) >= maxHomeRows {
			break
		}
		e, err := db.Enterprise(ctx, id)
		if err != nil {
			return d, fmt.Errorf("home: %w", err)
		}
		d.rows = append(d.rows, homeRow{ent: e, status: statuses[id]})
	}
	rv, err := loadHomeReviews(ctx, db)
	if err != nil {
		return d, fmt.Errorf("home: %w", err)
	}
	for i := range d.rows {
		id := d.rows[i].ent.ID
		d.rows[i].review, d.rows[i].visitID, d.rows[i].comment = rv.state[id], rv.visit[id], rv.comment[id]
		if d.rows[i].review == survey.ReviewStateReturn {
			d.returned++
		}
	}
	// Visits the district returned first, then drafts, then not yet
	// visited, then done; by name within.
	rank := map[survey.VisitStatus]int{"": 1, survey.VisitDraft: 0, survey.VisitFinalized: 2, survey.VisitSigned: 3}
	rankOf := func(r homeRow) int {
		if r.review == survey.ReviewStateReturn {
			return -1
		}
		return rank[r.status]
	}
	sort.SliceStable(d.rows, func(i, j int) bool {
		ri, rj := rankOf(d.rows[i]), rankOf(d.rows[j])
		if ri != rj {
			return ri < rj
		}
		return d.rows[i].ent.Name < d.rows[j].ent.Name
	})
	for _, r := range d.rows {
		d.counts[r.status]++
		d.names[r.ent.ID] = r.ent.Name
	}
	items, err := db.LedgerItems(ctx, storage.LedgerFilter{})
	if err != nil {
		return d, fmt.Errorf("home: %w", err)
	}
	today := now()
	for _, it := range items {
		if !it.Status.Closed() {
			d.open++
		}
		if it.Overdue(today) {
			d.overdue = append(d.overdue, it)
		}
	}
	sort.SliceStable(d.overdue, func(i, j int) bool { return d.overdue[i].Deadline < d.overdue[j].Deadline })
	for _, it := range d.overdue {
		if _, ok := d.names[it.EnterpriseID]; ok {
			continue
		}
		if e, err := db.Enterprise(ctx, it.EnterpriseID); err == nil {
			d.names[it.EnterpriseID] = e.Name
		}
	}
	return d, nil
}

// statusImportance colours a visit status: drafts stand out, signed is
// calm success.
func statusImportance(s survey.VisitStatus) widget.Importance {
	switch s {
	case survey.VisitDraft:
		return widget.WarningImportance
	case survey.VisitFinalized:
		return widget.HighImportance
	case survey.VisitSigned:
		return widget.SuccessImportance
	}
	return widget.MediumImportance
}

// overdueText is "超期N天" for an overdue item, "" otherwise.
func overdueText(it survey.LedgerItem, now time.Time) string {
	if !it.Overdue(now) {
		return ""
	}
	n, err := daysBetween(it.Deadline, day(now), now.Location())
	if err != nil {
		return "超期"
	}
	return fmt.Sprintf("超期%d天", n)
}

// trustNotice reads the district's trust file of the data directory and
// says (Chinese) when it expires within laptop.TrustWarnBefore or has
// expired; "" otherwise, and before enrolment.
func trustNotice(dataDir string, now func() time.Time) string {
	if dataDir == "" {
		return ""
	}
	l, err := laptop.Open(dataDir, laptop.Options{Now: now})
	if err != nil {
		return ""
	}
	return l.TrustNotice()
}
