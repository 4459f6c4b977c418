// Package bus carries what sensors find to a central server over NATS
// JetStream: the "many terminals" deployment, where one harborwatch sensor
// per monitored network segment publishes and one harborwatch serve
// consumes into its store.
//
// # Subjects
//
// Every message goes to harborwatch.SITE.KIND.SENSOR in the stream
// HARBORWATCH (subjects harborwatch.>), where SITE is the site id, SENSOR
// the sensor id (both letters, digits, '-' and '_', at most 64) and KIND
// one of finding, event, observation, asset, heartbeat. A consumer takes
// a site with harborwatch.SITE.>, a kind across sites with
// harborwatch.*.finding.* (docs/formats/bus.md).
//
// # Exactly once
//
// Each message carries the id SITE.SENSOR.RUN.SEQ in the Nats-Msg-Id
// header — RUN names one start of the sensor, SEQ counts its messages —
// so the stream drops a message published twice within its duplicate
// window, and the consumer (server) drops any it already stored, so a
// redelivery (an acknowledgement lost after the commit) is harmless.
//
// # Link down
//
// The Publisher writes every message to a bounded on-disk queue (package
// bus/spool) first; one goroutine sends from its oldest end, a window of
// messages at a time, and removes them only once JetStream acknowledged
// them. While the link is down the queue grows; when it returns the
// messages go out oldest first. A message that does not fit in the queue
// is counted (Stats.Dropped, per kind), reported in every heartbeat and
// at the end, never lost silently. The queue lives on disk, not in an
// embedded JetStream leaf node, because it needs nothing of the central
// NATS (a leaf node needs a leaf-node listener and credentials there),
// survives a restart of the sensor, and its bound is exact and ours.
//
// # Ownership and concurrency
//
// A Publisher is a pipeline.Sink: its Sink methods are called by one
// goroutine at a time (the pipeline's contract) and copy what they keep;
// Asset, Heartbeat, Stats and Close may be called from any goroutine.
// A Consumer is used by one goroutine.
package bus
