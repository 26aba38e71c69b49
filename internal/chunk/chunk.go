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

// List is an append-only list. The zero value is empty and ready to use.
type List[T any] struct {
	chunks [][]T
	n      int
}

// Append adds v at the end. The first chunk grows like a slice up to size,
// so a short list costs no more than a slice; later chunks are allocated
// whole, and elements in a full chunk never move.
func (l *List[T]) Append(v T) {
	switch {
	case l.n == 0:
		l.chunks = append(l.chunks, make([]T, 0, 8))
	case l.n%size == 0:
		l.chunks = append(l.chunks, make([]T, 0, size))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, v)
	l.n++
}

// Len returns the number of elements.
func (l *List[T]) Len() int { return l.n }

// At returns a pointer to element i, which must be in [0, Len()).
func (l *List[T]) At(i int) *T { return &l.chunks[i/size][i%size] }
