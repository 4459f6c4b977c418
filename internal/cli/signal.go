package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Interrupt is the cause of a context NotifyContext cancelled: the signal
// that asked the run to stop.
type Interrupt struct{ Signal os.Signal }

func (i *Interrupt) Error() string { return "interrupted by " + signalName(i.Signal) }

// Is makes an Interrupt a context.Canceled, as context.Cause's errors are.
func (i *Interrupt) Is(target error) bool { return target == context.Canceled }

// exitCode is the code a process stopped by the signal exits with, as
// shells report one killed by it: 128 + the signal number (130 for
// SIGINT, 143 for SIGTERM).
func (i *Interrupt) exitCode() int {
	if s, ok := i.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return ExitFailure
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// NotifyContext returns a context cancelled, with an *Interrupt as its
// cause, on the first SIGINT or SIGTERM: a run then stops reading within
// a second and writes what it has, marked partial. A second signal ends
// the process at once, with 128 + its number; a note on stderr says so.
// stop releases the signals.
func NotifyContext(parent context.Context, stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var first os.Signal
		select {
		case first = <-ch:
		case <-done:
			return
		}
		fmt.Fprintf(stderr, "harborwatch: %s: stopping, then writing what was read (send it again to quit at once)\n", signalName(first))
		cancel(&Interrupt{first})
		select {
		case s := <-ch:
			fmt.Fprintf(stderr, "harborwatch: %s again: quitting at once\n", signalName(s))
			os.Exit((&Interrupt{s}).exitCode())
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// stoppedError is a run that stopped before the end of its input because
// its context was cancelled: its result is partial. It unwraps to the
// context's cause (an *Interrupt after a signal).
type stoppedError struct {
	cause   error
	packets uint64
}

func (e *stoppedError) Error() string {
	return fmt.Sprintf("%v after %s: the result is partial", e.cause, nouns(int64(e.packets), "packet", "packets"))
}

func (e *stoppedError) Unwrap() error { return e.cause }

// stoppedCode is the exit code of a stopped run: 128 + the signal's
// number after a signal, else ExitFailure.
func stoppedCode(err error) int {
	if i, ok := errors.AsType[*Interrupt](err); ok {
		return i.exitCode()
	}
	return ExitFailure
}
