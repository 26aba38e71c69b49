// Package chunk provides an append-only list stored in fixed-size chunks, so
// that growing it copies at most one chunk. Simulations append events and
// pull records by the hundred thousand, spread over thousands of nodes; a
// slice would copy them at every doubling and leave up to half its capacity
// unused.
package chunk

// size is the number of elements in a full chunk. Small chunks waste little
// on the many short lists of a fleet (a node's events); the chunk index is
// a slice of headers, cheap to grow.
const size = 64

// List is an append-only list whose oldest elements can be dropped. Indexes
// are absolute: element i keeps its index when older ones are dropped, so a
// reader can remember Len and later read what was appended since. The zero
// value is empty and ready to use.
type List[T any] struct {
	chunks [][]T
	n      int // elements ever appended: the index after the last
	first  int // index of the oldest element kept
	base   int // index of chunks[0][0]
}

// Append adds v at the end. The first chunk grows like a slice up to size,
// so a short list costs no more than a slice; later chunks are allocated
// whole, and elements in a full chunk never move. The first chunk after
// everything was dropped counts as a first chunk: it starts small.
func (l *List[T]) Append(v T) {
	switch {
	case len(l.chunks) == 0:
		l.chunks = append(l.chunks, make([]T, 0, 8))
	case len(l.chunks[len(l.chunks)-1]) == size:
		l.chunks = append(l.chunks, make([]T, 0, size))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, v)
	l.n++
}

// Len returns the number of elements ever appended, dropped ones included:
// the index the next Append gets.
func (l *List[T]) Len() int { return l.n }

// First returns the index of the oldest element kept; elements
// [First(), Len()) can be read.
func (l *List[T]) First() int { return l.first }

// At returns a pointer to element i, which must be in [First(), Len()).
func (l *List[T]) At(i int) *T {
	i -= l.base
	return &l.chunks[i/size][i%size]
}

// DropBefore drops the elements before index i (at most Len()); it never
// undoes an earlier drop. The memory of a chunk is freed once all of its
// elements are dropped; dropped elements of the chunk that stays are
// zeroed, so a list holds nothing its dropped elements pointed to.
func (l *List[T]) DropBefore(i int) {
	i = min(i, l.n)
	if i <= l.first {
		return
	}
	dropped := l.first
	l.first = i
	for len(l.chunks) > 0 && l.first-l.base >= size {
		l.chunks[0] = nil
		l.chunks = l.chunks[1:]
		l.base += size
	}
	switch {
	case l.first == l.n:
		// Everything is dropped: the last chunk goes too, whether full
		// or not, and the next Append starts a new one at index n.
		l.chunks = nil
		l.base = l.n
	case len(l.chunks) > 0 && l.first > l.base:
		// The chunk that stays lets go of what its dropped elements held.
		clear(l.chunks[0][max(dropped-l.base, 0) : l.first-l.base])
	}
	if cap(l.chunks) > 16 && len(l.chunks) < cap(l.chunks)/4 {
		l.chunks = append([][]T(nil), l.chunks...) // let the old headers go
	}
}
