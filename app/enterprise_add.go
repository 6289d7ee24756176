package app

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"zoufang/survey"
)

// addEnterpriseForm is the 新增企业 dialog: an enterprise the roster lacks,
// typed in by the team, checked by the roster's rules (a valid 统一社会信用代码
// that no other enterprise has).
type addEnterpriseForm struct {
	name, uscc, street, industry, workers, contact, phone, address *entry
	district                                                       *widget.SelectEntry
	union                                                          *widget.Check
	dialog                                                         *appDialog
}

// askAddEnterprise opens the dialog; done receives the stored enterprise.
func (u *ui) askAddEnterprise(done func(survey.Enterprise)) *addEnterpriseForm {
	f := &addEnterpriseForm{}
	mk := func(hint string) *entry { e := newEntry(); e.SetPlaceHolder(hint); return e }
	f.name = mk("与营业执照一致")
	f.uscc = mk("18 位，全角字符会自动转换")
	f.district = widget.NewSelectEntry(districts)
	f.district.SetText(u.profile.District)
	f.street = mk("例如：香港中路街道")
	f.industry = mk("例如：快递")
	f.workers = mk("可不填")
	f.union = widget.NewCheck("已建立工会", nil)
	f.contact = mk("可不填")
	f.phone = mk("可不填")
	f.address = mk("可不填")
	form := widget.NewForm(
		widget.NewFormItem("企业名称 *", f.name),
		widget.NewFormItem("统一社会信用代码 *", f.uscc),
		widget.NewFormItem("所属区市", f.district),
		widget.NewFormItem("镇街", f.street),
		widget.NewFormItem("行业", f.industry),
		widget.NewFormItem("职工人数", f.workers),
		widget.NewFormItem("是否建会", f.union),
		widget.NewFormItem("联系人", f.contact),
		widget.NewFormItem("联系电话", f.phone),
		widget.NewFormItem("地址", f.address),
	)
	intro := message("名录里没有的企业可以在这里新增，之后和名录中的企业一样走访。区总工会下发名录时，以统一社会信用代码为准合并。")
	f.dialog = u.newDialog("新增企业", container.NewBorder(intro, nil, nil, nil, container.NewVScroll(form)), "保存", "取消", func() error {
		e, err := f.save(u)
		if err != nil {
			return err
		}
		if done != nil {
			done(e)
		}
		return nil
	})
	f.dialog.width = 640
	f.dialog.height = intro.MinSize().Height + form.MinSize().Height + 160 // buttons and title; the window may allow less, the form scrolls
	f.dialog.bindEntries(f.name, f.uscc, f.street, f.industry, f.workers, f.contact, f.phone, f.address)
	f.dialog.show(f.name)
	return f
}

// save checks the input and stores the enterprise; the error is for the
// user.
func (f *addEnterpriseForm) save(u *ui) (survey.Enterprise, error) {
	in := survey.EnterpriseInput{
		Name: f.name.Text, USCC: f.uscc.Text, District: f.district.Text, Street: f.street.Text,
		Industry: f.industry.Text, Workers: f.workers.Text, HasUnion: f.union.Checked,
		Contact: f.contact.Text, Phone: f.phone.Text, Address: f.address.Text,
	}
	e, ps := in.Check()
	if len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = p.Message
		}
		switch ps[0].Field {
		case survey.EnterpriseFieldUSCC:
			u.win.Canvas().Focus(f.uscc)
		case survey.EnterpriseFieldWorkers:
			u.win.Canvas().Focus(f.workers)
		default:
			u.win.Canvas().Focus(f.name)
		}
		return e, errors.New(strings.Join(msgs, "；"))
	}
	// One small write; the dialog waits for it so a duplicate code is
	// reported in place.
	stored, err := u.db.SaveEnterprise(context.Background(), e)
	if err != nil {
		return e, err
	}
	return stored, nil
}
