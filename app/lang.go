package app

import (
	_ "embed"
	"os"
	gosync "sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

// zhTranslation is Chinese for the words Fyne itself shows (file dialogs,
// the entry menu, Yes/No/OK), in the app's wording.
//
//go:embed translations/zh.json
var zhTranslation []byte

// fyneLocales are the languages Fyne 2.7 ships translations for, plus
// English, its fallback. Fyne picks one of them from the system locale;
// giving each the Chinese text makes the app Chinese whatever the locale
// of the laptop (an English Windows, LANG=C), which is what its users
// read. TestFyneSpeaksChinese checks the list against Fyne's files.
var fyneLocales = []string{"en", "cs", "de", "el", "es", "fr", "pl", "pt", "pt-BR", "ru", "sv", "ta", "uk", "zh-Hans"}

// useChineseForFyne registers the Chinese text under every language Fyne
// may choose, once per process.
func useChineseForFyne() { chineseOnce.Do(addChinese) }

var chineseOnce gosync.Once

func addChinese() {
	// Fyne looks the locale up again on every addition; LANGUAGE (which
	// boot.zoufang/locale already set in the binary) keeps it from
	// stumbling over LANG=C.UTF-8.
	os.Setenv("LANGUAGE", "zh_CN")
	for _, l := range fyneLocales {
		if err := lang.AddTranslationsForLocale(zhTranslation, fyne.Locale(l)); err != nil {
			logError("add translation "+l, err)
		}
	}
}
