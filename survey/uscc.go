package survey

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// usccAlphabet is the character set of the unified social credit code
// (统一社会信用代码, GB 32100-2015): digits and upper-case letters without
// I, O, Z, S and V. A character's position in it is its numeric value.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i-1) mod 31 for positions i = 1..17.
var usccWeights = func() [17]int {
	var w [17]int
	p := 1
	for i := range w {
		w[i] = p
		p = p * 3 % 31
	}
	return w
}()

// NormalizeUSCC brings a code as typed or pasted into its canonical form:
// surrounding and inner white space removed, full-width characters
// (ＡＢＣ１２３, common with Chinese input methods) made half-width, and
// letters upper-cased. It does not validate; see ValidUSCC.
func NormalizeUSCC(s string) string {
	s = width.Narrow.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
	return s
}

// USCCCheckChar returns the check character (18th) for the first 17
// characters of a code, or an error when they are not 17 valid characters.
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("统一社会信用代码本体应为 17 位，实际 %d 位", utf8.RuneCountInString(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, first17[i])
		if v < 0 {
			return 0, usccCharError(first17, i)
		}
		sum += v * usccWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return usccAlphabet[c], nil
}

func usccCharError(s string, i int) error {
	r, _ := utf8.DecodeRuneInString(s[i:])
	pos := utf8.RuneCountInString(s[:i]) + 1
	return fmt.Errorf("统一社会信用代码第 %d 位 %q 不是有效字符（只能是数字和除 I、O、Z、S、V 以外的大写字母）", pos, r)
}

// ValidUSCC checks a normalised code (see NormalizeUSCC): 18 characters of
// the GB 32100-2015 set with a correct check character. The error message is
// Chinese and says what is wrong.
func ValidUSCC(s string) error {
	if s == "" {
		return errors.New("统一社会信用代码为空")
	}
	if n := utf8.RuneCountInString(s); n != 18 || len(s) != 18 {
		return fmt.Errorf("统一社会信用代码应为 18 位，实际 %d 位", n)
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(usccAlphabet, s[i]) < 0 {
			return usccCharError(s, i)
		}
	}
	want, err := USCCCheckChar(s[:17])
	if err != nil {
		return err
	}
	if s[17] != want {
		return fmt.Errorf("统一社会信用代码校验位错误：第 18 位应为 %c，实际为 %c，请核对是否输错", want, s[17])
	}
	return nil
}
