package locale

import (
	"os"
	"testing"
)

func TestInitSetsChinese(t *testing.T) {
	if got := os.Getenv("LANGUAGE"); got != "zh_CN" {
		t.Errorf("LANGUAGE = %q after init, want zh_CN", got)
	}
}
