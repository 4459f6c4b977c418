// Package runstats is the vocabulary of a run's statistics: how many
// packets and bytes each capture held, how many flows were followed and
// evicted, what could not be decoded, the cyclic I/O connections of
// real-time protocols, and the packet-time span of the run. Nothing is dropped silently: every packet that could not be
// decoded, every evicted flow and every damaged file is counted here.
//
// It is a leaf: it imports only the standard library. The pipeline fills
// a Stats at the end of a run; the report renders it (the "stats" object
// of the JSON document, docs/formats/report.md) without importing the
// packet path, and so can any other view. Stats is a plain value: its
// slices and map are owned by whoever holds it, and nothing here is safe
// for concurrent mutation.
package runstats
