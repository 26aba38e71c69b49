// Package chunk provides an append-only list stored in fixed-size chunks, so
// that growing it never copies what it already holds. Simulations append
// events and pull records by the hundred thousand; a slice would copy them
// at every doubling.
package chunk

const size = 512

// List is an append-only list. The zero value is empty and ready to use.
type List[T any] struct {
	chunks [][]T
	n      int
}

// Append adds v at the end. The first chunk grows like a slice, so a short
// list costs no more than a slice; later chunks are allocated whole.
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
