package survey

import "testing"

func TestEnterpriseInputCheck(t *testing.T) {
	tests := []struct {
		name   string
		in     EnterpriseInput
		fields []string // fields with problems
	}{
		{"valid", EnterpriseInput{Name: "青岛海信电器股份有限公司", USCC: "91370200163562681G", Workers: "1,200人"}, nil},
		{"full width code", EnterpriseInput{Name: "海信", USCC: "９１３７０２００１６３５６２６８１Ｇ"}, nil},
		{"no name", EnterpriseInput{USCC: "91370200163562681G"}, []string{"name"}},
		{"no code", EnterpriseInput{Name: "海信"}, []string{"uscc"}},
		{"bad check digit", EnterpriseInput{Name: "海信", USCC: "91370200163562681H"}, []string{"uscc"}},
		{"bad workers", EnterpriseInput{Name: "海信", USCC: "91370200163562681G", Workers: "很多"}, []string{"workers"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ps := tc.in.Check()
			var got []string
			for _, p := range ps {
				got = append(got, p.Field)
				if p.Message == "" {
					t.Errorf("problem on %s without a message", p.Field)
				}
			}
			if len(got) != len(tc.fields) {
				t.Fatalf("problems %v, want on %v", ps, tc.fields)
			}
			for i := range got {
				if got[i] != tc.fields[i] {
					t.Errorf("problem %d on %s, want %s", i, got[i], tc.fields[i])
				}
			}
			if len(ps) == 0 && e.USCC != "91370200163562681G" {
				t.Errorf("USCC %q not normalised", e.USCC)
			}
		})
	}
}
