package survey

import (
	"strings"
	"testing"
)

// Worked examples: a code from GB 32100 explanations and codes of large,
// publicly registered enterprises, plus two constructed to hit the check
// values 0 (31 mod 31) and Y (30, the last character of the set).
var validUSCCs = []string{
	"91350100M000100Y43",
	"914403001922038216",
	"91440300708461136T",
	"91110000802100433B",
	"91370200MA3C000040",
	"91370200MA3C00023Y",
}

func TestValidUSCC(t *testing.T) {
	for _, code := range validUSCCs {
		if err := ValidUSCC(code); err != nil {
			t.Errorf("ValidUSCC(%q) = %v, want nil", code, err)
		}
	}
}

func TestUSCCWeights(t *testing.T) {
	want := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	if usccWeights != want {
		t.Errorf("weights = %v, want %v", usccWeights, want)
	}
	for _, code := range validUSCCs {
		got, err := USCCCheckChar(code[:17])
		if err != nil || got != code[17] {
			t.Errorf("USCCCheckChar(%q) = %c, %v; want %c", code[:17], got, err, code[17])
		}
	}
}

// TestUSCCSingleCorruption changes each character of each valid code into
// every other allowed character; the check digit must catch all of them.
func TestUSCCSingleCorruption(t *testing.T) {
	for _, code := range validUSCCs {
		for i := 0; i < len(code); i++ {
			for _, c := range usccAlphabet {
				if byte(c) == code[i] {
					continue
				}
				bad := code[:i] + string(c) + code[i+1:]
				err := ValidUSCC(bad)
				if err == nil {
					t.Fatalf("ValidUSCC(%q) accepted a corruption of %q at %d", bad, code, i+1)
				}
				if !strings.Contains(err.Error(), "校验位错误") {
					t.Fatalf("ValidUSCC(%q) = %q, want a check digit error", bad, err)
				}
			}
		}
	}
}

func TestInvalidUSCC(t *testing.T) {
	tests := []struct{ code, want string }{
		{"", "统一社会信用代码为空"},
		{"91350100M000100Y4", "应为 18 位，实际 17 位"},
		{"91350100M000100Y433", "应为 18 位，实际 19 位"},
		{"91350100I000100Y43", "第 9 位 'I' 不是有效字符"},
		{"91350100O000100Y43", "第 9 位 'O' 不是有效字符"},
		{"91350100Z000100Y43", "第 9 位 'Z' 不是有效字符"},
		{"91350100S000100Y43", "第 9 位 'S' 不是有效字符"},
		{"91350100V000100Y43", "第 9 位 'V' 不是有效字符"},
		{"91350100m000100y43", "第 9 位 'm' 不是有效字符"},
		{"91350100M000100Y44", "校验位错误：第 18 位应为 3，实际为 4"},
		{"91350100M000100Y4３", "应为 18 位"},
		{"913501000M00100Y43", "校验位错误"}, // adjacent transposition M0 -> 0M
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			err := ValidUSCC(tt.code)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidUSCC(%q) = %v, want error containing %q", tt.code, err, tt.want)
			}
		})
	}
}

func TestNormalizeUSCC(t *testing.T) {
	tests := []struct{ in, want string }{
		{"91350100M000100Y43", "91350100M000100Y43"},
		{"  91350100m000100y43\n", "91350100M000100Y43"},
		{"９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"},
		{"９１３５０１００ｍ０００１００ｙ４３", "91350100M000100Y43"},
		{"9135 0100 M000 100Y 43", "91350100M000100Y43"},
		{"9135\u30000100M000100Y43", "91350100M000100Y43"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := NormalizeUSCC(tt.in)
			if got != tt.want {
				t.Errorf("NormalizeUSCC(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.want != "" {
				if err := ValidUSCC(got); err != nil {
					t.Errorf("ValidUSCC(NormalizeUSCC(%q)) = %v", tt.in, err)
				}
			}
		})
	}
}

func FuzzUSCC(f *testing.F) {
	for _, c := range validUSCCs {
		f.Add(c)
	}
	f.Add("９１３５０１００ｍ０００１００ｙ４３")
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeUSCC(s)
		if NormalizeUSCC(n) != n {
			t.Fatalf("NormalizeUSCC not idempotent on %q", s)
		}
		if ValidUSCC(n) == nil {
			want, err := USCCCheckChar(n[:17])
			if err != nil || want != n[17] {
				t.Fatalf("ValidUSCC accepted %q with wrong check", n)
			}
		}
	})
}
