// Package ntp recognises the Network Time Protocol (RFC 5905) by its
// header, so that NTP flows carry their name in conduits and findings. It
// has no analyzer: nothing in NTP is a fact for detection yet.
//
// Place in the data path: source → decode → flow → analyzers → detect; the
// pipeline's registry lists Probe. Probe keeps no state, allocates nothing
// and is safe to call concurrently.
package ntp
