package survey

import (
	"strings"
)

// EnterpriseInput is an enterprise as typed into the 新增企业 form, every
// field as text.
type EnterpriseInput struct {
	Name, USCC, District, Street, Industry string
	Workers                                string // 职工人数, may be empty
	HasUnion                               bool
	Contact, Phone, Address                string
}

// Enterprise field names used in problems of EnterpriseInput.Check.
const (
	EnterpriseFieldName    = "name"
	EnterpriseFieldUSCC    = "uscc"
	EnterpriseFieldWorkers = "workers"
)

// Check turns the input into an Enterprise, applying the roster's rules: a
// name, a valid USCC (normalised: full-width and spaces allowed), a worker
// count that is a whole number when given. Problems name the field by the
// constants above; their messages are Chinese.
func (in EnterpriseInput) Check() (Enterprise, []Problem) {
	e := Enterprise{
		Name:     strings.TrimSpace(in.Name),
		USCC:     NormalizeUSCC(in.USCC),
		District: strings.TrimSpace(in.District),
		Street:   strings.TrimSpace(in.Street),
		Industry: strings.TrimSpace(in.Industry),
		HasUnion: in.HasUnion,
		Contact:  strings.TrimSpace(in.Contact),
		Phone:    strings.TrimSpace(in.Phone),
		Address:  strings.TrimSpace(in.Address),
	}
	var ps []Problem
	add := func(field, msg string) { ps = append(ps, Problem{Path: field, Field: field, Message: msg}) }
	if e.Name == "" {
		add(EnterpriseFieldName, "请填写企业名称")
	}
	if e.USCC == "" {
		add(EnterpriseFieldUSCC, "请填写统一社会信用代码")
	} else if err := ValidUSCC(e.USCC); err != nil {
		add(EnterpriseFieldUSCC, err.Error())
	}
	if w := strings.TrimSpace(in.Workers); w != "" {
		n, reason := parseWorkers(w)
		if reason != "" {
			add(EnterpriseFieldWorkers, reason)
		}
		e.Workers = n
	}
	return e, ps
}
