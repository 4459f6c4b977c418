// Package analysis is the one analysis path: open captures → pipeline →
// inventory → report document. The CLI's analyze, inventory and demo
// commands run it, and so will the server and the sensor; none of them
// repeats its steps.
//
// Its place in the path: it sits above the packet path (capture, decode,
// flow, the analyzers, pipeline) and the views (inventory, report), and
// wires them in order. Run opens the capture files given by name (a file
// that is missing, unreadable or not a capture is an *InputError: the
// caller's input at fault, not the run), reads them with any
// already-open Sources as one timeline through pipeline.Run, builds the
// reconciled inventory from what was observed and what was declared, hands
// the inventory's findings to the Sink after the pipeline's own, and
// builds the report document (the JSON document v1 of
// docs/formats/report.md) from the run's statistics, the findings and the
// inventory.
//
// Who owns what: Run opens, reads and closes the files named in
// Options.Files; Options.Sources stay the caller's, read to their end but
// not closed. The Sink is called as pipeline.Sink documents: never
// concurrently, from the pipeline's goroutines and then, for the
// inventory's findings, from Run's own goroutine before Run returns. The
// Result and everything in it belong to the caller: Run keeps nothing.
//
// Logs go to Options.Logger (nil discards them): each capture opened, a
// flow memory below the floor, damaged captures (warnings) and the counts
// at the end; never a record per packet. Run adds no attribute of its own,
// so the caller names the component; the caller also logs why it starts.
//
// Concurrency: Run holds no package state (the MAC registry and the
// supplier catalog it reads are parsed once, on first use, and read-only
// afterwards), so several Runs may go on at once with their own Options.
// Progress is safe to read while Run goes on; nothing else is.
package analysis
