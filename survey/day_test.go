package survey

import "testing"

func TestParseDay(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"2026-04-05", "2026-04-05"},
		{"2026-4-5", "2026-04-05"},
		{"2026.4.5", "2026-04-05"},
		{"2026/4/5", "2026-04-05"},
		{"2026/04/05", "2026-04-05"},
		{"2026年4月5日", "2026-04-05"},
		{"2026年4月5", "2026-04-05"},
		{"2026年04月05号", "2026-04-05"},
		{" ２０２６－４－５ ", "2026-04-05"},
		{"２０２６年４月５日", "2026-04-05"},
		{"2024-2-29", "2024-02-29"},
		{"2026-2-29", ""},
		{"2026-02-30", ""},
		{"2026-13-01", ""},
		{"2026-0-1", ""},
		{"2026-4", ""},
		{"26-4-5", ""},
		{"2026-4/5", ""},
		{"2026--4-5", ""},
		{"2026-4-5-", ""},
		{"2026-004-5", ""},
		{"4月5日", ""},
		{"", ""},
		{"明天", ""},
		{"2026年4-5", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseDay(tc.in)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("ParseDay(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
			}
			if ok && !ValidDay(got) {
				t.Errorf("ParseDay(%q) = %q is not a valid stored day", tc.in, got)
			}
		})
	}
}

func TestValidDay(t *testing.T) {
	for s, want := range map[string]bool{
		"2026-04-05": true, "2024-02-29": true, "2026-02-29": false, "2026-4-5": false,
		"2026-04-31": false, "2026/04/05": false, "2026-04-05T00": false, "": false, "２０２６-04-05": false,
	} {
		if got := ValidDay(s); got != want {
			t.Errorf("ValidDay(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"2026-4-5", "2026年4月5日", "２０２６．４．５", "2026/02/30", "9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseDay(s)
		if ok != (d != "") {
			t.Fatalf("ParseDay(%q) = %q, %v", s, d, ok)
		}
		if !ok {
			return
		}
		if !ValidDay(d) {
			t.Fatalf("ParseDay(%q) = %q, not a valid day", s, d)
		}
		if again, ok := ParseDay(d); !ok || again != d {
			t.Fatalf("ParseDay(%q) = %q, but ParseDay(%q) = %q, %v", s, d, d, again, ok)
		}
	})
}
