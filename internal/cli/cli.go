// Package cli wires harborwatch's subcommands. Each subcommand is a value
// with its own flags bound to an options struct; Run dispatches and maps
// errors to exit codes.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"harborwatch/internal/textsafe"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2 // bad usage or bad input
	ExitFailOn  = 3 // --fail-on threshold met
	// A run stopped by a signal exits with 128 + the signal's number, as
	// shells report a process the signal killed: 130 for SIGINT, 143 for
	// SIGTERM (analyze writes its partial report first).
	ExitInterrupt = 130
)

// usageError is bad usage or bad input: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitError carries an exit code with no further message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// env gives a command its streams and environment.
type env struct {
	stdin          io.Reader // nil: nothing to read
	stdout, stderr io.Writer
	getenv         func(string) string
	stderrTTY      bool
	log            *slog.Logger // set by the command from its log flags; see logger
	// wrapOutput, when not nil, wraps the writer of every output file
	// (tests: a disk that fills up).
	wrapOutput func(io.Writer) io.Writer
}

type command struct {
	name  string
	short string
	usage string
	long  string
	run   func(ctx context.Context, e *env, args []string) error
}

func commands() []*command {
	return []*command{accessCommand(), analyzeCommand(), attestCommand(), auditCommand(), backupCommand(), baselineCommand(), complianceCommand(), demoCommand(), incidentCommand(), inventoryCommand(), keygenCommand(), readinessCommand(), sensorCommand(), serveCommand(), simulateCommand(), siteCommand(), sparesCommand(), tokenCommand(), userCommand(), versionCommand(), vulnsCommand()}
}

// Version is the program version, set at build time with
// -ldflags "-X harborwatch/internal/cli.Version=…".
var Version = "dev"

func versionCommand() *command {
	return &command{
		name: "version", short: "print the version", usage: "harborwatch version",
		long: `
Prints the version harborwatch was built as ("dev" for a build from the
source without a version).

Example:
  harborwatch version`,
		run: func(_ context.Context, e *env, args []string) error {
			c := versionCommand()
			fs := newFlags(c, e)
			pos, err := parseCommand(e, c, fs, args)
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usagef("version takes no arguments")
			}
			fmt.Fprintf(e.stdout, "harborwatch %s\n", Version)
			return nil
		},
	}
}

const intro = `harborwatch watches the OT networks of a port — above all the networks of
ship-to-shore cranes — and reports, with evidence, what breaks the facility's
segmentation, remote-access and supplier rules (MSCI advisories, 33 CFR 101
subpart F).
`

func mainUsage(w io.Writer) {
	fmt.Fprint(w, intro)
	fmt.Fprint(w, "\nUsage:\n  harborwatch <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `
Examples:
  harborwatch analyze --site examples/terminal/site.yaml examples/terminal/terminal.pcap
  harborwatch site check examples/terminal/site.yaml

Run 'harborwatch <command> --help' for a command's flags.
Exit codes: 0 done, 1 failure, 2 bad usage or input, 3 --fail-on met,
130 (SIGINT) or 143 (SIGTERM) stopped by the signal.
`)
}

// Run runs harborwatch with args (without the program name) and returns the
// process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			e.stderrTTY = true
		}
	}
	return run(ctx, e, args)
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		mainUsage(e.stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		if len(args) > 1 {
			return run(ctx, e, []string{args[1], "--help"})
		}
		mainUsage(e.stdout)
		return ExitOK
	case "-version", "--version":
		args = []string{"version"}
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(e, c.run(ctx, e, args[1:]))
		}
	}
	fmt.Fprintf(e.stderr, "harborwatch: unknown command %q\n\n", args[0])
	mainUsage(e.stderr)
	return ExitUsage
}

func exitCode(e *env, err error) int {
	var ee exitError
	var ue usageError
	var se *stoppedError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &se):
		fmt.Fprintf(e.stderr, "harborwatch: %s\n", textsafe.String(err.Error()))
		return stoppedCode(err)
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "harborwatch: %s\n", textsafe.String(err.Error()))
		return ExitUsage
	default:
		fmt.Fprintf(e.stderr, "harborwatch: %s\n", textsafe.String(err.Error()))
		return ExitFailure
	}
}

// parse parses flags that may come before, between or after the positional
// arguments, and returns the positional arguments. "--" ends the flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// newFlags makes a FlagSet whose usage prints the command's help.
func newFlags(c *command, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

func printHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.usage, strings.TrimSpace(c.long))
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	if len(names) > 0 {
		fmt.Fprint(w, "\nFlags:\n")
	}
	for _, n := range names {
		f := fs.Lookup(n)
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		arg, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%-22s %s%s\n", strings.TrimSpace(n+" "+arg), usage, def)
	}
}

// helpRequested reports whether args ask for help.
// parseCommand parses a command's arguments: with -h or --help anywhere
// before "--" it prints the command's help and returns flag.ErrHelp (exit
// 0); else it returns the positional arguments, or a usage error.
func parseCommand(e *env, c *command, fs *flag.FlagSet, args []string) ([]string, error) {
	if helpRequested(args) {
		printHelp(e.stdout, c, fs)
		return nil, flag.ErrHelp
	}
	return parse(fs, args)
}

func helpRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "--help" || a == "-help" {
			return true
		}
	}
	return false
}
