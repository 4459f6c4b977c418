package cli

import (
	"context"
	"flag"
	"fmt"
	"harborwatch/internal/textsafe"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// logOptions are the log flags of the commands that may run long
// (analyze, inventory, demo, simulate).
type logOptions struct {
	level   string
	format  string
	handler slog.Handler // set by start
}

// logFlags binds --log-level and --log-format, with defaults from
// HARBORWATCH_LOG_LEVEL and HARBORWATCH_LOG_FORMAT.
func logFlags(fs *flag.FlagSet, e *env) *logOptions {
	o := &logOptions{}
	fs.StringVar(&o.level, "log-level", envOr(e, "HARBORWATCH_LOG_LEVEL", "warn"), "log `LEVEL` on stderr: debug, info, warn or error")
	fs.StringVar(&o.format, "log-format", e.getenv("HARBORWATCH_LOG_FORMAT"), "log records as `FORMAT` text (key=value) or json, with time and level (default: a short line each, for a person)")
	return o
}

// start checks the options and sets e.log to the logger they ask for:
// records at or above the level, to stderr, with the command as
// component.
func (o *logOptions) start(e *env, fs *flag.FlagSet, command string) error {
	var level slog.Level
	switch strings.ToLower(o.level) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return usagef("%s: %s: want debug, info, warn or error", command, given(e, fs, "log-level", o.level))
	}
	var h slog.Handler
	hopts := &slog.HandlerOptions{Level: level}
	switch o.format {
	case "":
		h = &consoleHandler{w: e.stderr, level: level, mu: &sync.Mutex{}}
	case "text":
		h = slog.NewTextHandler(e.stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(e.stderr, hopts)
	default:
		return usagef("%s: %s: want text or json", command, given(e, fs, "log-format", o.format))
	}
	o.handler = h
	e.log = o.logger(command)
	return nil
}

// logger returns a logger of the records start asked for, with component
// as the component (a command running another's work names that work).
func (o *logOptions) logger(component string) *slog.Logger {
	if o.handler == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(o.handler).With("component", component)
}

// logger returns the command's logger; before start, one that discards.
func (e *env) logger() *slog.Logger {
	if e.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.log
}

// consoleHandler writes each record as one short line for a person:
// "harborwatch: warning: MESSAGE". Messages are whole sentences; the
// attributes, for machines, are left to the text and json formats.
type consoleHandler struct {
	w     io.Writer
	level slog.Level
	mu    *sync.Mutex
}

var _ slog.Handler = (*consoleHandler)(nil)

func (h *consoleHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *consoleHandler) Handle(_ context.Context, r slog.Record) error {
	prefix := "harborwatch: "
	switch {
	case r.Level >= slog.LevelError:
		prefix += "error: "
	case r.Level >= slog.LevelWarn:
		prefix += "warning: "
	case r.Level < slog.LevelInfo:
		prefix += "debug: "
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, prefix+textsafe.String(r.Message)+"\n")
	return err
}

func (h *consoleHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *consoleHandler) WithGroup(string) slog.Handler      { return h }

// envKey is the variable that sets the default of flag name:
// flow-memory → HARBORWATCH_FLOW_MEMORY.
func envKey(name string) string {
	return "HARBORWATCH_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// isSet reports whether flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// given names where the value val of flag name came from, for a message:
// `--format "xml"`, or `HARBORWATCH_FORMAT="xml"` when the flag was not
// given and its variable was.
func given(e *env, fs *flag.FlagSet, name, val string) string {
	if !isSet(fs, name) && e.getenv(envKey(name)) != "" {
		return fmt.Sprintf("%s=%q", envKey(name), val)
	}
	return fmt.Sprintf("--%s %q", name, val)
}

// checkEnvInts reports a variable among the integer flags names that holds
// no integer and was not overridden by its flag; envInt read it as 0.
func checkEnvInts(e *env, fs *flag.FlagSet, command string, names ...string) error {
	for _, n := range names {
		key := envKey(n)
		v := e.getenv(key)
		if v == "" || isSet(fs, n) {
			continue
		}
		if _, err := strconv.Atoi(v); err != nil {
			return usagef("%s: %s=%q: not a whole number", command, key, v)
		}
	}
	return nil
}
