package capture

import (
	"errors"
	"io"
	"strings"
)

// Merged reads several Sources as one timeline: a k-way merge by packet
// timestamp. Packets with equal timestamps come in source order (lower
// index first), and each source's packets keep their file order. Packet.File
// is set to the index of the source the packet came from.
//
// Merged holds one pending packet per source and advances a source only
// when the packet it returned is handed out and the next one is asked
// for, so the borrowed Data of every pending packet stays valid, and the
// Data Merged returns is valid until its own next call to Next.
type Merged struct {
	srcs  []Source
	names []string
	name  string
	pend  []Packet // one pending packet per source
	heap  []int    // sources with a pending packet, a min-heap by (TS, index)
	fill  []int    // sources to advance before the next packet is chosen
}

var _ Source = (*Merged)(nil)

// Merge returns a Source that merges srcs by timestamp. Closing it closes
// every source.
func Merge(srcs ...Source) *Merged {
	m := &Merged{
		srcs:  srcs,
		names: make([]string, len(srcs)),
		pend:  make([]Packet, len(srcs)),
		heap:  make([]int, 0, len(srcs)),
		fill:  make([]int, 0, len(srcs)),
	}
	for i, s := range srcs {
		m.names[i] = s.Name()
		m.fill = append(m.fill, len(srcs)-1-i)
	}
	m.name = strings.Join(m.names, ", ")
	return m
}

// Next fills p with the earliest pending packet. An error other than
// io.EOF from a source (a *DamageError, or an I/O error) is returned once;
// that source is then finished and the merge goes on with the others.
// Next returns io.EOF when every source is finished.
func (m *Merged) Next(p *Packet) error {
	for len(m.fill) > 0 {
		i := m.fill[len(m.fill)-1]
		m.fill = m.fill[:len(m.fill)-1]
		switch err := m.srcs[i].Next(&m.pend[i]); err {
		case nil:
			m.push(i)
		case io.EOF:
		default:
			return err
		}
	}
	if len(m.heap) == 0 {
		return io.EOF
	}
	i := m.pop()
	*p = m.pend[i]
	p.File = i
	m.fill = append(m.fill, i)
	return nil
}

// Name returns the names of the sources joined by ", ".
func (m *Merged) Name() string { return m.name }

// Names returns the names of the sources, by index (Packet.File).
func (m *Merged) Names() []string { return m.names }

// Close closes every source and returns their errors joined.
func (m *Merged) Close() error {
	var errs []error
	for _, s := range m.srcs {
		errs = append(errs, s.Close())
	}
	m.heap, m.fill = m.heap[:0], m.fill[:0]
	return errors.Join(errs...)
}

// less orders pending packets by timestamp, then by source index.
func (m *Merged) less(a, b int) bool {
	ta, tb := m.pend[a].TS, m.pend[b].TS
	if ta != tb {
		return ta < tb
	}
	return a < b
}

func (m *Merged) push(i int) {
	h := append(m.heap, i)
	for c := len(h) - 1; c > 0; {
		up := (c - 1) / 2
		if !m.less(h[c], h[up]) {
			break
		}
		h[c], h[up] = h[up], h[c]
		c = up
	}
	m.heap = h
}

func (m *Merged) pop() int {
	h := m.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for c := 0; ; {
		l := 2*c + 1
		if l >= len(h) {
			break
		}
		if r := l + 1; r < len(h) && m.less(h[r], h[l]) {
			l = r
		}
		if !m.less(h[l], h[c]) {
			break
		}
		h[c], h[l] = h[l], h[c]
		c = l
	}
	m.heap = h
	return top
}
