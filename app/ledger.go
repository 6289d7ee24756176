package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/storage"
	"zoufang/survey"
)

// Ledger filter choices besides the statuses themselves.
const (
	filterOpen    = "未办结"
	filterOverdue = "已超期"
	filterAll     = "全部"
)

// ledgerScreen is the 工作台帐: items with status, deadline and overdue
// marks, and a follow-up form for the selected item.
type ledgerScreen struct {
	u          *ui
	filter     *widget.Select
	count      *textBlock
	list       *widget.List
	title      *textBlock
	info       *widget.Form
	fields     map[string]*textBlock // 状态, 期限, 涉及职工, 紧急程度, 责任人
	logHead    *widget.Label
	logBox     *fyne.Container // one label per follow-up
	logText    *widget.Label   // "暂无跟进记录", or the entries joined (tests read it)
	detail     *fyne.Container
	newStatus  *widget.Select
	note       *entry
	saveBtn    *widget.Button
	errLabel   *textBlock
	confirm    *appDialog
	confirmMsg *textBlock

	// selectFirst shows the first item once the list is loaded (the
	// screenshot of the page).
	selectFirst bool

	all      []survey.LedgerItem
	items    []survey.LedgerItem // after the filter
	names    map[string]string
	selected string // item id
	content  fyne.CanvasObject
}

// showLedger opens the ledger screen.
func showLedger(u *ui) *ledgerScreen {
	l := newLedgerScreen(u)
	u.nav.showRefreshing("工作台帐", l.content, l.refresh)
	l.refresh()
	return l
}

func newLedgerScreen(u *ui) *ledgerScreen {
	l := &ledgerScreen{u: u, names: map[string]string{}}
	opts := []string{filterOpen, filterOverdue, filterAll}
	for _, s := range survey.LedgerStatuses {
		opts = append(opts, s.Label())
	}
	l.filter = widget.NewSelect(opts, nil)
	l.filter.SetSelected(filterOpen)
	l.count = newTextBlock("")

	l.list = widget.NewList(
		func() int { return len(l.items) },
		func() fyne.CanvasObject {
			desc := widget.NewLabel("企业名称：问题描述")
			desc.Truncation = fyne.TextTruncateEllipsis
			status := widget.NewLabel("待研判")
			due := widget.NewLabel("2026-01-01 超期100天")
			return container.NewBorder(nil, nil, status, due, desc)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(l.items) {
				return
			}
			it := l.items[id]
			c := o.(*fyne.Container)
			c.Objects[0].(*widget.Label).SetText(l.names[it.EnterpriseID] + "：" + it.Description)
			c.Objects[1].(*widget.Label).SetText("[" + it.Status.Label() + "]")
			due := c.Objects[2].(*widget.Label)
			due.SetText(deadlineText(it, l.u))
			if it.Overdue(l.u.now()) {
				due.Importance = widget.DangerImportance
			} else {
				due.Importance = widget.MediumImportance
			}
			due.Refresh()
		})
	l.list.OnSelected = func(id widget.ListItemID) {
		if id < len(l.items) {
			l.selectItem(l.items[id].ID)
		}
	}

	l.title = boldText("请在左侧选择台帐事项")
	// One row per fact: the old single multi-line label was laid out
	// before its wrapped height was known, so 涉及职工, 责任人 and the log
	// were drawn over each other.
	l.fields = map[string]*textBlock{}
	l.info = widget.NewForm()
	for _, k := range ledgerFields {
		v := newTextBlock("")
		l.fields[k] = v
		l.info.Append(k, v)
	}
	l.logHead = widget.NewLabelWithStyle("跟进记录", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.logBox = container.NewVBox()
	l.logText = widget.NewLabel("")
	var labels []string
	for _, s := range survey.LedgerStatuses {
		labels = append(labels, s.Label())
	}
	l.newStatus = widget.NewSelect(labels, nil)
	l.newStatus.PlaceHolder = "选择新的状态"
	l.note = newMultiLineEntry(3)
	l.note.SetPlaceHolder("跟进情况，例如：已与企业协商，约定下月补发工资")
	l.note.maxRunes = survey.MaxLongText
	l.note.onPasteRefused = func(msg string) { l.say(msg) }
	l.saveBtn = widget.NewButtonWithIcon("记录跟进", theme.ConfirmIcon(), l.onSave)
	l.saveBtn.Importance = widget.HighImportance
	l.errLabel = newTextBlock("")
	l.errLabel.Importance = widget.DangerImportance
	l.errLabel.Hide()
	l.confirmMsg = message("")

	followUp := widget.NewForm(widget.NewFormItem("新状态", l.newStatus), widget.NewFormItem("跟进说明", l.note))
	l.detail = container.NewVBox(
		l.title, l.info, widget.NewSeparator(), l.logHead, l.logBox,
		widget.NewSeparator(), followUp, l.errLabel, newFlow(l.saveBtn))
	rightScroll := newPageScroll(container.NewPadded(l.detail))
	l.note.outer = rightScroll
	right := rightScroll
	left := container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel("筛选"), nil, l.filter), l.count), nil, nil, nil, l.list)
	split := container.NewHSplit(left, right)
	split.Offset = 0.5
	l.content = split
	l.showItem(nil)
	l.filter.OnChanged = func(string) { l.applyFilter() }
	return l
}

// ledgerFields are the rows of an item's details.
var ledgerFields = []string{"状态", "期限", "区总工会研判", "涉及职工", "紧急程度", "责任人"}

// deadlineText is the deadline column: "期限 2026-05-01", or the day and
// "超期N天" when overdue.
func deadlineText(it survey.LedgerItem, u *ui) string {
	if it.Deadline == "" {
		return "无期限"
	}
	if o := overdueText(it, u.now()); o != "" {
		return it.Deadline + "　" + o
	}
	return "期限 " + it.Deadline
}

// deadlineValue is the deadline in the details, after "期限：".
func deadlineValue(it survey.LedgerItem, u *ui) string {
	if it.Deadline == "" {
		return "无"
	}
	if o := overdueText(it, u.now()); o != "" {
		return it.Deadline + "（" + o + "）"
	}
	return it.Deadline
}

// refresh reloads all items in the background, keeping the selection.
func (l *ledgerScreen) refresh() {
	db := l.u.db
	var items []survey.LedgerItem
	names := map[string]string{}
	runInBackground(func() error {
		ctx := context.Background()
		var err error
		items, err = db.LedgerItems(ctx, storage.LedgerFilter{})
		if err != nil {
			return err
		}
		for _, it := range items {
			if _, ok := names[it.EnterpriseID]; ok {
				continue
			}
			e, err := db.Enterprise(ctx, it.EnterpriseID)
			switch {
			case errors.Is(err, storage.ErrNotFound):
				names[it.EnterpriseID] = "（未知企业）"
			case err != nil:
				return err
			default:
				names[it.EnterpriseID] = e.Name
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			l.u.showError("读取工作台帐失败", err)
			return
		}
		l.all, l.names = items, names
		l.applyFilter()
	})
}

// applyFilter fills the visible list from all items: overdue first, then by
// deadline.
func (l *ledgerScreen) applyFilter() {
	now := l.u.now()
	f := l.filter.Selected
	l.items = l.items[:0]
	for _, it := range l.all {
		ok := false
		switch f {
		case filterAll, "":
			ok = true
		case filterOpen:
			ok = !it.Status.Closed()
		case filterOverdue:
			ok = it.Overdue(now)
		default:
			ok = it.Status.Label() == f
		}
		if ok {
			l.items = append(l.items, it)
		}
	}
	sort.SliceStable(l.items, func(i, j int) bool {
		oi, oj := l.items[i].Overdue(now), l.items[j].Overdue(now)
		if oi != oj {
			return oi
		}
		di, dj := l.items[i].Deadline, l.items[j].Deadline
		if (di == "") != (dj == "") {
			return dj == ""
		}
		return di < dj
	})
	overdue := 0
	for _, it := range l.items {
		if it.Overdue(now) {
			overdue++
		}
	}
	l.count.SetText(fmt.Sprintf("共 %d 项，其中超期 %d 项", len(l.items), overdue))
	l.list.UnselectAll()
	l.list.Refresh()
	if l.selectFirst && len(l.items) > 0 {
		l.selectFirst = false
		l.list.Select(0)
		return
	}
	l.showItem(l.find(l.selected))
}

func (l *ledgerScreen) find(id string) *survey.LedgerItem {
	for i := range l.all {
		if l.all[i].ID == id {
			return &l.all[i]
		}
	}
	return nil
}

// selectItem shows the item with the given id on the right.
func (l *ledgerScreen) selectItem(id string) {
	l.selected = id
	l.showItem(l.find(id))
}

// say shows msg under the follow-up form ("" hides the line).
func (l *ledgerScreen) say(msg string) {
	l.errLabel.SetText(msg)
	if msg == "" {
		l.errLabel.Hide()
	} else {
		l.errLabel.Show()
	}
	l.detail.Refresh()
}

func (l *ledgerScreen) showItem(it *survey.LedgerItem) {
	l.say("")
	defer l.detail.Refresh() // lay the rows out again at their new heights
	if it == nil {
		l.selected = ""
		l.title.SetText("请在左侧选择台帐事项")
		l.info.Hide()
		l.logHead.Hide()
		l.logBox.Objects = nil
		l.logText.SetText("")
		l.saveBtn.Disable()
		return
	}
	l.saveBtn.Enable()
	l.info.Show()
	l.logHead.Show()
	l.title.SetText(l.names[it.EnterpriseID] + "：" + it.Description)
	for k, v := range map[string]string{
		"状态":     it.Status.Label(),
		"期限":     deadlineValue(*it, l.u),
		"区总工会研判": assessmentText(*it),
		"涉及职工":   fmt.Sprintf("%d 人", it.WorkersAffected),
		"紧急程度":   l.urgencyLabel(it.Urgency),
		"责任人":    it.Owner,
	} {
		if v == "" {
			v = "—"
		}
		l.fields[k].SetText(v)
	}
	if it.Overdue(l.u.now()) {
		l.fields["期限"].Importance = widget.DangerImportance
	} else {
		l.fields["期限"].Importance = widget.MediumImportance
	}
	l.fields["期限"].Refresh()
	var lines []string
	l.logBox.Objects = nil
	for _, fu := range it.Log {
		line := fmt.Sprintf("%s　%s　[%s]　%s", fu.At.In(l.u.now().Location()).Format("2006-01-02 15:04"), fu.By, fu.Status.Label(), fu.Note)
		lines = append(lines, line)
		l.logBox.Add(message(line))
	}
	if len(lines) == 0 {
		lines = []string{"暂无跟进记录"}
		l.logBox.Add(widget.NewLabel(lines[0]))
	}
	l.logText.SetText(strings.Join(lines, "\n"))
	l.newStatus.SetSelected(it.Status.Label())
}

// urgencyLabel names a demand urgency choice value as the visit form
// does.
func (l *ledgerScreen) urgencyLabel(v string) string {
	f, ok := l.u.forms.Latest(l.u.campaign.Forms.Visit.ID)
	if !ok {
		return v
	}
	return f.ChoiceLabelOf(survey.FieldDemandUrgency, v)
}

// statusFromLabel maps a Chinese status label back to the stored value.
func statusFromLabel(label string) (survey.LedgerStatus, bool) {
	for _, s := range survey.LedgerStatuses {
		if s.Label() == label {
			return s, true
		}
	}
	return "", false
}

// onSave checks the follow-up and asks for confirmation.
func (l *ledgerScreen) onSave() {
	it := l.find(l.selected)
	if it == nil {
		return
	}
	st, ok := statusFromLabel(l.newStatus.Selected)
	if !ok {
		l.say("请选择新的状态")
		return
	}
	if strings.TrimSpace(l.note.Text) == "" {
		l.say("请填写跟进说明")
		return
	}
	if err := survey.CheckText("跟进说明", strings.TrimSpace(l.note.Text), survey.MaxLongText); err != nil {
		l.say(err.Error() + "，请缩短后再记录")
		return
	}
	l.say("")
	l.confirmMsg.SetText(fmt.Sprintf("将为“%s”记录跟进：\n状态：%s → %s\n记录人：%s", it.Description, it.Status.Label(), st.Label(), l.u.profile.Name))
	l.confirm = l.u.newDialog("确认跟进记录", l.confirmMsg, "确认记录", "取消", func() error { l.onConfirm(); return nil })
	l.confirm.show(nil)
}

// onConfirm stores the follow-up (who and when from the profile and clock).
func (l *ledgerScreen) onConfirm() {
	it := l.find(l.selected)
	st, ok := statusFromLabel(l.newStatus.Selected)
	if it == nil || !ok {
		return
	}
	fu := survey.FollowUp{At: l.u.now(), By: l.u.profile.Name, Status: st, Note: strings.TrimSpace(l.note.Text)}
	id := it.ID
	l.saveBtn.Disable()
	runInBackground(func() error {
		_, err := l.u.db.AddFollowUp(context.Background(), id, fu)
		return err
	}, func(err error) {
		l.saveBtn.Enable()
		if err != nil {
			l.u.showError("保存跟进记录失败", err)
			return
		}
		l.note.SetText("")
		l.refresh()
	})
}
