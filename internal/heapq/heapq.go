// Package heapq provides a binary min-heap over a slice, typed by its
// element: the priority queues of a simulation (a node's in-flight pulls,
// container timers, pods waiting for a sync; a fleet's next events) without
// container/heap's interface boxing, type assertions and five methods per
// queue.
//
// An element orders itself: it has a Less method. An element that also has
// a SetIndex method is told its index whenever it moves, so that its owner
// can later [Heap.Fix] or [Heap.Remove] it in O(log n).
//
// The order of equal elements is unspecified, as with container/heap: a
// deterministic simulation breaks every tie in Less (by a sequence number,
// say), so that no two elements are equal.
package heapq

// Elem is what a [Heap] holds: a value that orders itself against another
// of its type.
type Elem[T any] interface {
	// Less reports whether the receiver must come out of the heap before x.
	Less(x T) bool
}

// Indexed is implemented by elements that keep their own index in the
// heap: the heap calls SetIndex(i) whenever such an element lands at
// index i, and SetIndex(-1) when it leaves the heap.
type Indexed interface {
	SetIndex(i int)
}

// Heap is a binary min-heap: Min is the element that is Less than every
// other. Push, Pop, Fix and Remove take O(log n); Min and Len O(1). The
// zero value is an empty heap, ready to use. A Heap is not safe for
// concurrent use.
type Heap[T Elem[T]] struct {
	s       []T
	indexed int8 // 0: not yet known; 1: T is Indexed; -1: it is not
}

// Init makes a heap of s in O(len(s)), taking ownership of s: the caller
// must not use it afterwards. It drops what the heap held.
func (h *Heap[T]) Init(s []T) {
	h.s = s
	for i := range h.s {
		h.moved(i)
	}
	for i := len(h.s)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// DeleteFunc removes every element for which del returns true, in O(n),
// keeping the heap's storage: cheaper than removing them one by one when
// many go at once. Removed [Indexed] elements are told -1.
func (h *Heap[T]) DeleteFunc(del func(T) bool) {
	kept := h.s[:0]
	for _, x := range h.s {
		if !del(x) {
			kept = append(kept, x)
		} else if h.indexed > 0 {
			any(x).(Indexed).SetIndex(-1)
		}
	}
	clear(h.s[len(kept):]) // let the heap drop its references
	h.Init(kept)
}

// Len returns the number of elements.
func (h *Heap[T]) Len() int { return len(h.s) }

// Min returns the least element without removing it. The heap must not be
// empty.
func (h *Heap[T]) Min() T { return h.s[0] }

// At returns the element at index i, 0 <= i < Len(): the index an
// [Indexed] element was last told. Index 0 is the least element; the
// others are in no particular order.
func (h *Heap[T]) At(i int) T { return h.s[i] }

// Push adds x.
func (h *Heap[T]) Push(x T) {
	h.s = append(h.s, x)
	h.moved(len(h.s) - 1)
	h.up(len(h.s) - 1)
}

// Pop removes and returns the least element. The heap must not be empty.
func (h *Heap[T]) Pop() T { return h.Remove(0) }

// Remove removes and returns the element at index i, 0 <= i < Len().
func (h *Heap[T]) Remove(i int) T {
	x := h.s[i]
	last := len(h.s) - 1
	if i != last {
		h.s[i] = h.s[last]
		h.moved(i)
	}
	var zero T
	h.s[last] = zero // let the heap drop its reference
	h.s = h.s[:last]
	if i != last {
		h.Fix(i)
	}
	if h.indexed > 0 {
		any(x).(Indexed).SetIndex(-1)
	}
	return x
}

// Fix restores the order after the element at index i changed its place
// in it, 0 <= i < Len(). Changing the element and calling Fix is cheaper
// than removing it and pushing it again.
func (h *Heap[T]) Fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

// Replace puts x at index i, 0 <= i < Len(), in place of the element there,
// and restores the order: Replace(0, x) is Pop then Push(x) at the cost of
// one Fix.
func (h *Heap[T]) Replace(i int, x T) {
	h.s[i] = x
	h.moved(i)
	h.Fix(i)
}

// up moves the element at j towards the root while it is less than its
// parent.
func (h *Heap[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2 // parent
		if !h.s[j].Less(h.s[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

// down moves the element at i0 towards the leaves while a child is less
// than it; it reports whether the element moved.
func (h *Heap[T]) down(i0 int) bool {
	i, n := i0, len(h.s)
	for {
		j := 2*i + 1
		if j >= n || j < 0 { // j < 0: int overflow
			break
		}
		if r := j + 1; r < n && h.s[r].Less(h.s[j]) {
			j = r
		}
		if !h.s[j].Less(h.s[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

func (h *Heap[T]) swap(i, j int) {
	h.s[i], h.s[j] = h.s[j], h.s[i]
	h.moved(i)
	h.moved(j)
}

// moved tells the element at i, if it is Indexed, that it is there. The
// heap asks once whether T is Indexed: converting an element to an
// interface may allocate when T is not a pointer.
func (h *Heap[T]) moved(i int) {
	if h.indexed == 0 {
		h.indexed = -1
		if _, ok := any(h.s[i]).(Indexed); ok {
			h.indexed = 1
		}
	}
	if h.indexed > 0 {
		any(h.s[i]).(Indexed).SetIndex(i)
	}
}
