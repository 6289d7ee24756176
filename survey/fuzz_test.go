package survey

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fuzzAnswers fills every field of f with something plausible, two items
// per repeat, so that evaluation runs every expression.
func fuzzAnswers(fields []Field, a Answers) {
	for _, fd := range fields {
		switch fd.Type {
		case TypeGroup:
			fuzzAnswers(fd.Fields, a)
		case TypeRepeat:
			items := []Answers{{}, {}}
			for _, it := range items {
				fuzzAnswers(fd.Fields, it)
			}
			a[fd.Name] = items
		case TypeSelectMultiple:
			if len(fd.Choices) > 0 {
				a[fd.Name] = []string{fd.Choices[0].Value}
			}
		case TypeSelectOne:
			if len(fd.Choices) > 0 {
				a[fd.Name] = fd.Choices[len(fd.Choices)-1].Value
			}
		case TypeDate:
			a[fd.Name] = "2026-04-01"
		default:
			if fd.Default != "" {
				a[fd.Name] = fd.Default
			} else {
				a[fd.Name] = "1"
			}
		}
	}
}

func FuzzParseForm(f *testing.F) {
	for _, pattern := range []string{"../assets/forms/*.json", "testdata/forms/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(`{"id":"t","version":1,"title":"t","fields":[{"name":"r","type":"repeat","label":"r","fields":[{"name":"x","type":"integer","label":"x","constraint":". < ${y}"},{"name":"y","type":"calculate","calculation":"${r} * 2"}]}]}`))
	f.Add([]byte(`{"id":"t","version":1,"title":"t","fields":[{"name":"g","type":"group","label":"g","relevant":"${a} = 1","fields":[{"name":"a","type":"text","label":"a"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		form, err := ParseForm(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("empty error message")
			}
			return
		}
		a := Answers{}
		fuzzAnswers(form.Fields, a)
		Validate(form, a, day)
		Validate(form, Answers{}, day)
		Validate(form, NewAnswers(form), day)
		c := Clean(form, a, day)
		e := Evaluate(form, c, day)
		for k := range c {
			e.Relevant(k)
			e.Value(k)
		}
		// A definition that parses survives a round trip through JSON.
		out, err := json.Marshal(form)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := ParseForm(out)
		if err != nil {
			t.Fatalf("re-parsing marshalled form: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, form) {
			t.Fatalf("round trip changed the form:\n%#v\n%#v", form, again)
		}
	})
}

// exprFuzzForm has one field of each kind an expression can read.
func exprFuzzForm(expr string) *Form {
	return &Form{ID: "f", Version: 1, Title: "f", Fields: []Field{
		{Name: "n", Type: TypeInteger, Label: "n"},
		{Name: "d", Type: TypeDecimal, Label: "d"},
		{Name: "s", Type: TypeText, Label: "s"},
		{Name: "day", Type: TypeDate, Label: "day"},
		{Name: "m", Type: TypeSelectMultiple, Label: "m", Choices: []Choice{{Value: "a", Label: "a"}, {Value: "b", Label: "b"}}},
		{Name: "o", Type: TypeSelectOne, Label: "o", Choices: []Choice{{Value: "1", Label: "1"}, {Value: "2", Label: "2"}}},
		{Name: "c", Type: TypeCalculate, Calculation: expr},
		{Name: "x", Type: TypeText, Label: "x", Relevant: expr, Constraint: expr},
		{Name: "r", Type: TypeRepeat, Label: "r", Fields: []Field{
			{Name: "n", Type: TypeInteger, Label: "n", Constraint: expr},
			{Name: "k", Type: TypeCalculate, Calculation: expr},
		}},
	}}
}

func FuzzExpression(f *testing.F) {
	for _, s := range []string{
		". >= 1",
		"${n} <= ${d} and not(${s} = '')",
		"selected(${m}, 'a') or count-selected(${m}) > 1",
		"if(${o} = '2', ${n} * 100 div ${d}, '')",
		"string-length(${s}) > 3",
		"${day} >= today()",
		"today() - ${day} > 30",
		"${r} mod 2 = 0",
		"int(number(${s})) + -${n}",
		"concat(${s}, '-', ${o})",
		"coalesce(${x}, true())",
		"((${n}))",
		"${c} + 1",
		"'unterminated",
		"1 div 0",
		"- - - 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := parseExpr(src)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("empty error message for %q", src)
			}
		} else {
			switch v := evalExpr(n, mapEnv{vals: map[string]any{"n": 3.0, "s": "x", "m": []string{"a"}}, self: "7"}).(type) {
			case float64, string, bool, []string:
			default:
				t.Fatalf("%q evaluated to %T", src, v)
			}
		}
		form := exprFuzzForm(src)
		a := Answers{"n": "4", "d": "2.5", "s": "字", "day": "2026-04-01", "m": []string{"a", "b"}, "o": "2", "x": "x",
			"r": []Answers{{"n": "1"}, {"n": ""}, {"n": "x"}}}
		Validate(form, a, day)
		Clean(form, a, day)
		Validate(form, Answers{}, day)
	})
}
