package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/storage"
	"zoufang/survey"
)

// rosterLimit bounds one search: nobody scrolls through more, and the
// count label says when there may be more.
const rosterLimit = 200

// searchDelay is how long typing must pause before the query runs.
const searchDelay = 150 * time.Millisecond

// rosterScreen is the 企业名录: search as you type, filters, a result list
// and the selected enterprise's details.
type rosterScreen struct {
	u           *ui
	search      *entry
	district    *widget.SelectEntry
	street      *widget.SelectEntry
	industry    *widget.SelectEntry
	clearBtn    *widget.Button
	addBtn      *widget.Button // 新增企业: an enterprise missing from the roster
	resultCount *textBlock
	list        *widget.List
	detail      *enterpriseDetail

	results  []survey.Enterprise
	statuses map[string]survey.VisitStatus
	streets  []string // the street choices offered
	deb      *debouncer
	queries  int // queries applied, for tests and benchmarks
	content  fyne.CanvasObject
}

// showRoster opens the roster screen.
func showRoster(u *ui) *rosterScreen {
	r := newRosterScreen(u)
	u.nav.showRefreshing("企业名录", r.content, r.onSearch)
	r.onSearch()
	r.loadFacets()
	return r
}

// loadFacets offers the roster's industries and the streets of the chosen
// district as filter choices.
func (r *rosterScreen) loadFacets() {
	db := r.u.db
	var inds []string
	runInBackground(func() error {
		var err error
		_, _, inds, err = db.Facets(context.Background())
		return err
	}, func(err error) {
		if err == nil {
			r.industry.SetOptions(inds)
		}
	})
	r.loadStreets()
}

// loadStreets narrows the street choices to the chosen district (all
// streets when none is chosen) and drops a chosen street that is not in it.
func (r *rosterScreen) loadStreets() {
	db, district := r.u.db, strings.TrimSpace(r.district.Text)
	var streets []string
	runInBackground(func() error {
		var err error
		streets, err = db.Streets(context.Background(), district)
		return err
	}, func(err error) {
		if err != nil || strings.TrimSpace(r.district.Text) != district {
			return // failed, or another district was chosen meanwhile
		}
		r.street.SetOptions(streets)
		r.streets = streets
		if cur := strings.TrimSpace(r.street.Text); cur != "" && !slices.Contains(streets, cur) {
			r.street.SetText("")
		}
	})
}

// added shows an enterprise just added by hand.
func (r *rosterScreen) added(e survey.Enterprise) {
	r.search.SetText(e.USCC)
	r.onSearch()
	r.loadFacets()
}

func newRosterScreen(u *ui) *rosterScreen {
	r := &rosterScreen{u: u, deb: newDebouncer(searchDelay), statuses: map[string]survey.VisitStatus{}}
	r.search = newEntry()
	r.search.SetPlaceHolder("输入企业名称、拼音首字母（如 hx）或统一社会信用代码")
	r.search.OnChanged = func(string) { r.onSearch() }
	r.district = widget.NewSelectEntry(districts)
	r.district.SetPlaceHolder("全部区市")
	r.district.OnChanged = func(string) { r.loadStreets(); r.onSearch() }
	r.street = widget.NewSelectEntry(nil)
	r.street.SetPlaceHolder("全部镇街")
	r.street.OnChanged = func(string) { r.onSearch() }
	r.industry = widget.NewSelectEntry(nil)
	r.industry.SetPlaceHolder("全部行业")
	r.industry.OnChanged = func(string) { r.onSearch() }
	r.clearBtn = widget.NewButtonWithIcon("清除条件", theme.ContentClearIcon(), r.onClear)
	r.addBtn = widget.NewButtonWithIcon("新增企业", theme.ContentAddIcon(), func() { r.u.askAddEnterprise(r.added) })
	r.resultCount = newTextBlock("")

	r.list = widget.NewList(
		func() int { return len(r.results) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("企业名称占位")
			name.Truncation = fyne.TextTruncateEllipsis
			status := widget.NewLabel("已签字确认")
			return container.NewBorder(nil, nil, nil, status, name)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(r.results) {
				return
			}
			e := r.results[id]
			c := o.(*fyne.Container)
			c.Objects[0].(*widget.Label).SetText(e.Name + "　" + e.District + e.Street)
			st := c.Objects[1].(*widget.Label)
			s := r.statuses[e.ID]
			st.SetText(statusLabel(s))
			st.Importance = statusImportance(s)
			st.Refresh()
		})
	r.list.OnSelected = r.onSelect
	r.detail = newEnterpriseDetail(u)

	filters := container.NewGridWithColumns(3, r.district, r.street, r.industry)
	top := container.NewVBox(r.search, filters, container.NewBorder(nil, nil, nil, container.NewHBox(r.clearBtn, r.addBtn), r.resultCount))
	left := container.NewBorder(top, nil, nil, nil, r.list)
	split := container.NewHSplit(left, r.detail.content)
	split.Offset = 0.55
	r.content = split
	return r
}

// query is the current search as a storage query.
func (r *rosterScreen) query() storage.EnterpriseQuery {
	return storage.EnterpriseQuery{
		Text:     strings.TrimSpace(r.search.Text),
		District: strings.TrimSpace(r.district.Text),
		Street:   strings.TrimSpace(r.street.Text),
		Industry: strings.TrimSpace(r.industry.Text),
		Limit:    rosterLimit + 1,
	}
}

// onSearch schedules a search with the current text and filters. It runs on
// the UI goroutine and returns at once; the query runs in the background
// after a short pause in typing.
func (r *rosterScreen) onSearch() {
	q := r.query()
	db := r.u.db
	r.deb.trigger(func() func() {
		ctx := context.Background()
		res, err := db.SearchEnterprises(ctx, q)
		if err != nil {
			return func() { r.resultCount.SetText("查询失败：" + userText(err)) }
		}
		st, err := db.VisitStatuses(ctx)
		if err != nil {
			return func() { r.resultCount.SetText("查询失败：" + userText(err)) }
		}
		return func() { r.apply(res, st) }
	})
}

func (r *rosterScreen) apply(res []survey.Enterprise, st map[string]survey.VisitStatus) {
	r.queries++
	more := len(res) > rosterLimit
	if more {
		res = res[:rosterLimit]
	}
	r.results, r.statuses = res, st
	switch {
	case len(res) == 0:
		r.resultCount.SetText("没有找到符合条件的企业")
	case more:
		r.resultCount.SetText(fmt.Sprintf("显示前 %d 家，请输入更多文字缩小范围", rosterLimit))
	default:
		r.resultCount.SetText(fmt.Sprintf("找到 %d 家企业", len(res)))
	}
	r.list.UnselectAll()
	r.list.Refresh()
	r.list.ScrollToTop()
	r.detail.set(nil)
}

func (r *rosterScreen) onSelect(id widget.ListItemID) {
	if id < 0 || id >= len(r.results) {
		return
	}
	e := r.results[id]
	r.detail.set(&e)
}

func (r *rosterScreen) onClear() {
	r.search.SetText("")
	r.district.SetText("")
	r.street.SetText("")
	r.industry.SetText("")
	r.onSearch()
}

// enterpriseDetail shows one enterprise and its visits, with the button
// that starts or resumes a visit.
type enterpriseDetail struct {
	u        *ui
	ent      *survey.Enterprise
	title    *textBlock
	info     *widget.Form
	fields   map[string]*textBlock
	visits   *textBlock
	startBtn *widget.Button
	viewBtn  *widget.Button
	draft    *survey.Visit // newest draft, if any
	done     *survey.Visit // newest finalized or signed visit, if any
	seq      int
	content  fyne.CanvasObject
}

var detailFields = []string{"统一社会信用代码", "所属区市", "镇街", "行业", "职工人数", "是否建会", "联系人", "联系电话", "地址"}

func newEnterpriseDetail(u *ui) *enterpriseDetail {
	d := &enterpriseDetail{u: u, fields: map[string]*textBlock{}}
	d.title = boldText("请在左侧选择企业")
	d.title.SizeName = theme.SizeNameSubHeadingText
	d.info = widget.NewForm()
	for _, f := range detailFields {
		l := newTextBlock("")
		d.fields[f] = l
		d.info.Append(f, l)
	}
	d.visits = newTextBlock("")
	d.startBtn = widget.NewButtonWithIcon("开始走访", theme.DocumentCreateIcon(), d.onStart)
	d.startBtn.Importance = widget.HighImportance
	d.viewBtn = widget.NewButtonWithIcon("查看走访记录", theme.DocumentIcon(), d.onView)
	body := container.NewVBox(d.title, d.info, d.visits, newFlow(d.startBtn, d.viewBtn))
	d.content = container.NewVScroll(container.NewPadded(body))
	d.set(nil)
	return d
}

// set shows e (nil clears the panel) and loads its visits in the
// background.
func (d *enterpriseDetail) set(e *survey.Enterprise) {
	d.ent, d.draft, d.done = e, nil, nil
	d.seq++
	d.viewBtn.Hide()
	if e == nil {
		d.title.SetText("请在左侧选择企业")
		for _, l := range d.fields {
			l.SetText("")
		}
		d.visits.SetText("")
		d.info.Hide()
		d.startBtn.Hide()
		return
	}
	d.info.Show()
	d.startBtn.Show()
	d.startBtn.SetText("开始走访")
	d.startBtn.Importance = widget.HighImportance
	d.viewBtn.Importance = widget.MediumImportance
	d.title.SetText(e.Name)
	union := "否"
	if e.HasUnion {
		union = "是"
	}
	for k, v := range map[string]string{
		"统一社会信用代码": e.USCC, "所属区市": e.District, "镇街": e.Street, "行业": e.Industry,
		"职工人数": strconv.Itoa(e.Workers), "是否建会": union, "联系人": e.Contact, "联系电话": e.Phone, "地址": e.Address,
	} {
		d.fields[k].SetText(v)
	}
	d.visits.SetText("正在读取走访记录……")
	seq, db, id := d.seq, d.u.db, e.ID
	var vs []survey.Visit
	runInBackground(func() error {
		var err error
		vs, err = db.Visits(context.Background(), storage.VisitFilter{EnterpriseID: id})
		return err
	}, func(err error) {
		if seq != d.seq {
			return // another enterprise was selected meanwhile
		}
		if err != nil {
			d.visits.SetText("读取走访记录失败：" + userText(err))
			return
		}
		d.showVisits(vs)
	})
}

func (d *enterpriseDetail) showVisits(vs []survey.Visit) {
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].UpdatedAt.After(vs[j].UpdatedAt) })
	var lines []string
	for i := range vs {
		v := vs[i]
		switch {
		case v.Status == survey.VisitDraft && d.draft == nil:
			d.draft = &v
		case v.Status != survey.VisitDraft && d.done == nil:
			d.done = &v
		}
		date := v.Day()
		if date == "" {
			date = day(v.UpdatedAt.In(d.u.now().Location()))
		}
		lines = append(lines, fmt.Sprintf("%s　%s", date, v.Status.Label()))
	}
	if len(lines) == 0 {
		d.visits.SetText("走访记录：尚未走访")
	} else {
		d.visits.SetText("走访记录：\n" + strings.Join(lines, "\n"))
	}
	// A finished enterprise's main action is to look at its record; a
	// second visit is possible but asks first (a duplicate visit used to be
	// one click away).
	switch {
	case d.draft != nil:
		d.startBtn.SetText("继续走访（草稿）")
		d.startBtn.Importance = widget.HighImportance
	case d.done != nil:
		d.startBtn.SetText("再次走访…")
		d.startBtn.Importance = widget.LowImportance
	}
	d.startBtn.Refresh()
	if d.done != nil {
		d.viewBtn.Show()
		if d.draft == nil {
			d.viewBtn.Importance = widget.HighImportance
		} else {
			d.viewBtn.Importance = widget.MediumImportance
		}
		d.viewBtn.Refresh()
	}
}

// onStart resumes the newest draft or creates a visit, then opens the
// visit form.
func (d *enterpriseDetail) onStart() {
	if d.ent == nil {
		return
	}
	if d.draft != nil {
		openVisit(d.u, *d.ent, *d.draft)
		return
	}
	if d.done != nil {
		e := *d.ent
		d.u.confirm("再次走访", "这家企业已有"+d.done.Status.Label()+"的走访记录（"+d.doneDay()+"）。确定要再走访一次、新建一份走访记录吗？\n只是补充或更正内容，请在原记录上点“修改”。",
			"新建走访记录", func() { startVisit(d.u, e) })
		return
	}
	startVisit(d.u, *d.ent)
}

// doneDay is the date of the finished visit shown in the detail.
func (d *enterpriseDetail) doneDay() string {
	if day := d.done.Day(); day != "" {
		return day
	}
	return survey.Today(d.done.UpdatedAt.In(d.u.now().Location()))
}

func (d *enterpriseDetail) onView() {
	if d.ent != nil && d.done != nil {
		openVisit(d.u, *d.ent, *d.done)
	}
}

// showEnterprise opens one enterprise's detail page (from the home list).
func showEnterprise(u *ui, e survey.Enterprise) *enterpriseDetail {
	d := newEnterpriseDetail(u)
	d.set(&e)
	u.nav.showRefreshing(e.Name, d.content, func() { d.set(d.ent) })
	return d
}

// startVisit creates a new draft visit for e with the campaign's visit form
// and opens it.
func startVisit(u *ui, e survey.Enterprise) {
	f, ok := u.forms.Latest(u.campaign.Forms.Visit.ID)
	if !ok {
		u.showError("无法开始走访", fmt.Errorf("找不到走访记录表单 %q", u.campaign.Forms.Visit.ID))
		return
	}
	var v survey.Visit
	runInBackground(func() error {
		var err error
		v, err = u.db.CreateVisit(context.Background(), e.ID, f)
		return err
	}, func(err error) {
		if err != nil {
			u.showError("创建走访记录失败", err)
			return
		}
		openVisit(u, e, v)
	})
}

// openVisit shows the visit form screen for v.
func openVisit(u *ui, e survey.Enterprise, v survey.Visit) *visitScreen {
	s := newVisitScreen(u, v)
	u.nav.showPage(page{title: "走访记录：" + e.Name, content: s.content, leave: s.leave})
	return s
}
