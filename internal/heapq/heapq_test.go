package heapq

import (
	"container/heap"
	"math/rand/v2"
	"slices"
	"testing"
)

// item is an Indexed element: a priority, a sequence number that breaks
// ties, and the index the heap last gave it.
type item struct {
	pri, seq int
	idx      int
}

func (a *item) Less(b *item) bool {
	if a.pri != b.pri {
		return a.pri < b.pri
	}
	return a.seq < b.seq
}

func (a *item) SetIndex(i int) { a.idx = i }

// plain is an element that keeps no index, held by value.
type plain struct{ pri, seq int }

func (a plain) Less(b plain) bool {
	if a.pri != b.pri {
		return a.pri < b.pri
	}
	return a.seq < b.seq
}

// check fails t unless h is a heap and every element knows its index.
func check(t *testing.T, step int, h *Heap[*item]) {
	t.Helper()
	for i := 1; i < h.Len(); i++ {
		if h.At(i).Less(h.At((i - 1) / 2)) {
			t.Fatalf("step %d: element %d is less than its parent", step, i)
		}
	}
	for i := range h.Len() {
		if got := h.At(i).idx; got != i {
			t.Fatalf("step %d: element at %d says it is at %d", step, i, got)
		}
	}
}

// TestHeapSteps drives a heap through a table of operations and checks
// what comes out and every element's index after each step.
func TestHeapSteps(t *testing.T) {
	var h Heap[*item]
	items := map[string]*item{}
	mk := func(name string, pri, seq int) *item {
		it := &item{pri: pri, seq: seq, idx: -2}
		items[name] = it
		return it
	}
	for i, s := range []struct {
		op      string // push, pop, fix (set pri then fix), remove, replace (at index 0)
		name    string // the item pushed, popped, fixed, removed or put in
		pri     int    // the item's priority (push, fix, replace)
		wantMin string // the least item afterwards; "" for an empty heap
		wantLen int
	}{
		{"push", "a", 5, "a", 1},
		{"push", "b", 3, "b", 2},
		{"push", "c", 7, "b", 3},
		{"push", "d", 3, "b", 4}, // equal priority: b was pushed first (lower seq)
		{"pop", "b", 0, "d", 3},
		{"fix", "c", 1, "c", 3}, // c moves up
		{"fix", "c", 9, "d", 3}, // and down again
		{"remove", "a", 0, "d", 2},
		{"replace", "e", 4, "e", 2}, // e takes d's place at the root
		{"pop", "e", 0, "c", 1},
		{"pop", "c", 0, "", 0},
		{"push", "f", 2, "f", 1},
	} {
		switch s.op {
		case "push":
			h.Push(mk(s.name, s.pri, i))
		case "pop":
			got := h.Pop()
			if got != items[s.name] {
				t.Fatalf("step %d: Pop() = %+v, want %s", i, got, s.name)
			}
			if got.idx != -1 {
				t.Fatalf("step %d: popped element's index = %d, want -1", i, got.idx)
			}
		case "fix":
			it := items[s.name]
			it.pri = s.pri
			h.Fix(it.idx)
		case "remove":
			it := items[s.name]
			if got := h.Remove(it.idx); got != it || it.idx != -1 {
				t.Fatalf("step %d: Remove = %+v (index %d), want %s at -1", i, got, it.idx, s.name)
			}
		case "replace":
			old := h.Min()
			h.Replace(0, mk(s.name, s.pri, i))
			old.idx = -1 // the caller's business: Replace does not tell it
		}
		if got := h.Len(); got != s.wantLen {
			t.Fatalf("step %d: Len() = %d, want %d", i, got, s.wantLen)
		}
		if s.wantLen > 0 {
			if got := h.Min(); got != items[s.wantMin] {
				t.Fatalf("step %d: Min() = %+v, want %s", i, got, s.wantMin)
			}
		}
		check(t, i, &h)
	}
}

// TestHeapSorts pushes, fixes and removes at random, checking the heap and
// the indexes after each operation; at the end the elements left come out
// sorted, and they are the ones pushed and not removed.
func TestHeapSorts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		var h Heap[*item]
		var all []*item
		for i := range 200 {
			it := &item{pri: r.IntN(20), seq: i}
			all = append(all, it)
			h.Push(it)
			switch r.IntN(4) {
			case 0: // change a random live element
				if h.Len() > 0 {
					x := h.At(r.IntN(h.Len()))
					x.pri = r.IntN(20)
					h.Fix(x.idx)
				}
			case 1: // remove a random live element
				if h.Len() > 0 {
					x := h.Remove(r.IntN(h.Len()))
					all = slices.DeleteFunc(all, func(y *item) bool { return y == x })
				}
			}
			check(t, round, &h)
		}
		slices.SortFunc(all, func(a, b *item) int {
			if a.Less(b) {
				return -1
			}
			return 1
		})
		for i, want := range all {
			if got := h.Pop(); got != want {
				t.Fatalf("round %d: pop %d = %+v, want %+v", round, i, got, want)
			}
		}
		if h.Len() != 0 {
			t.Fatalf("round %d: %d elements left", round, h.Len())
		}
	}
}

// TestHeapInit heapifies a slice of values that keep no index.
func TestHeapInit(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := make([]plain, 500)
	for i := range s {
		s[i] = plain{r.IntN(50), i}
	}
	want := slices.Clone(s)
	slices.SortFunc(want, func(a, b plain) int {
		if a.Less(b) {
			return -1
		}
		return 1
	})
	var h Heap[plain]
	h.Init(s)
	for i, w := range want {
		if got := h.Pop(); got != w {
			t.Fatalf("pop %d = %v, want %v", i, got, w)
		}
	}
}

// TestHeapAllocs: a heap of values does not box them, as container/heap's
// Push(any) and Pop() any do.
func TestHeapAllocs(t *testing.T) {
	var h Heap[plain]
	for i := range 64 {
		h.Push(plain{i % 7, i})
	}
	allocs := testing.AllocsPerRun(100, func() {
		x := h.Pop()
		x.pri += 7
		h.Push(x)
		h.Replace(0, plain{h.Min().pri + 1, h.Min().seq})
	})
	if allocs != 0 {
		t.Errorf("Pop, Push and Replace: %.1f allocations, want 0", allocs)
	}
}

// boxed is plain behind container/heap's interface.
type boxed []plain

func (b boxed) Len() int           { return len(b) }
func (b boxed) Less(i, j int) bool { return b[i].Less(b[j]) }
func (b boxed) Swap(i, j int)      { b[i], b[j] = b[j], b[i] }
func (b *boxed) Push(x any)        { *b = append(*b, x.(plain)) }
func (b *boxed) Pop() any {
	old := *b
	x := old[len(old)-1]
	*b = old[:len(old)-1]
	return x
}

// BenchmarkHeap is a priority queue's steady state, a pop and a push on a
// heap of 1,000 values, against container/heap doing the same.
func BenchmarkHeap(b *testing.B) {
	const n = 1000
	b.Run("heapq", func(b *testing.B) {
		var h Heap[plain]
		for i := range n {
			h.Push(plain{i * 7919 % n, i})
		}
		b.ReportAllocs()
		seq := n
		for b.Loop() {
			x := h.Pop()
			seq++
			h.Push(plain{x.pri + n/2, seq})
		}
	})
	b.Run("container-heap", func(b *testing.B) {
		var h boxed
		for i := range n {
			heap.Push(&h, plain{i * 7919 % n, i})
		}
		b.ReportAllocs()
		seq := n
		for b.Loop() {
			x := heap.Pop(&h).(plain)
			seq++
			heap.Push(&h, plain{x.pri + n/2, seq})
		}
	})
}

// TestHeapDeleteFunc removes every element a predicate names and checks
// that the rest still pop in order, that every kept element knows its
// index and that removed ones are told -1.
func TestHeapDeleteFunc(t *testing.T) {
	for step, tc := range []struct {
		n    int
		del  func(*item) bool
		kept int
	}{
		{0, func(*item) bool { return true }, 0},
		{10, func(*item) bool { return false }, 10},
		{10, func(*item) bool { return true }, 0},
		{100, func(x *item) bool { return x.seq%3 == 0 }, 66},
		{100, func(x *item) bool { return x.seq < 90 }, 10},
	} {
		r := rand.New(rand.NewPCG(uint64(step), 9))
		var h Heap[*item]
		all := make([]*item, tc.n)
		for i := range all {
			all[i] = &item{pri: r.IntN(20), seq: i}
			h.Push(all[i])
		}
		h.DeleteFunc(tc.del)
		if got := h.Len(); got != tc.kept {
			t.Fatalf("step %d: got %d elements, want %d", step, got, tc.kept)
		}
		check(t, step, &h)
		for _, x := range all {
			if tc.del(x) && x.idx != -1 {
				t.Errorf("step %d: removed element %d says it is at %d, want -1", step, x.seq, x.idx)
			}
		}
		var want []*item
		for _, x := range all {
			if !tc.del(x) {
				want = append(want, x)
			}
		}
		slices.SortFunc(want, func(a, b *item) int {
			if a.Less(b) {
				return -1
			}
			return 1
		})
		for i, w := range want {
			if got := h.Pop(); got != w {
				t.Fatalf("step %d: pop %d = %v, want %v", step, i, *got, *w)
			}
		}
	}
}
