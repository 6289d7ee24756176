// Package cli holds the laptop binary's subcommands (zoufang forms check,
// roster import, print, sync export, ...). It never imports Fyne, so every
// subcommand runs and tests without a display.
package cli

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// Command is one top-level subcommand.
type Command struct {
	Name    string
	Summary string // one line, Chinese, shown by "zoufang help"
	// Run executes the command with the arguments after its name and
	// returns the process exit code.
	Run func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]Command{}

// clock is the time the sync commands judge trust files and bundles by;
// tests move it (a trust file a year old, one about to expire).
var clock = time.Now

// register adds a subcommand; each file of this package registers its own in
// init so subcommands can be added without touching a central list.
func register(c Command) {
	if _, dup := commands[c.Name]; dup {
		panic("cli: duplicate command " + c.Name)
	}
	commands[c.Name] = c
}

// Run dispatches args (without the program name) to a subcommand and returns
// the exit code: 0 success, 1 failure of the work, 2 bad usage.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "未知命令 %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.Run(args[1:], stdout, stderr)
}

// Has reports whether name is a subcommand, so main can tell a subcommand
// from GUI flags.
func Has(name string) bool {
	_, ok := commands[name]
	return ok || name == "help" || name == "-h" || name == "--help"
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "用法: zoufang [命令] [参数]   (不带命令则启动图形界面)")
	fmt.Fprintln(w, "\n命令:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
}
