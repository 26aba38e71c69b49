package chunk

import (
	"runtime"
	"testing"
	"weak"
)

func TestList(t *testing.T) {
	var l List[int]
	for i := 0; i < 3*size+7; i++ {
		if l.Len() != i {
			t.Fatalf("step %d: Len() = %d, want %d", i, l.Len(), i)
		}
		l.Append(i * 2)
	}
	for i := 0; i < l.Len(); i++ {
		if got := *l.At(i); got != i*2 {
			t.Fatalf("At(%d) = %d, want %d", i, got, i*2)
		}
	}
	p := l.At(5)
	for range 2 * size {
		l.Append(-1) // appending never moves what a full chunk stores
	}
	if p != l.At(5) {
		t.Errorf("At(5) moved after Append")
	}
}

func BenchmarkAppend(b *testing.B) {
	var l List[[64]byte]
	b.ReportAllocs()
	for b.Loop() {
		l.Append([64]byte{})
	}
}

// DropBefore keeps indexes absolute and frees whole chunks.
func TestDropBefore(t *testing.T) {
	var l List[int]
	next := 0
	for i, s := range []struct {
		appends, drop int // appended, then DropBefore(drop)
		first, chunks int // wanted First() and chunks held
	}{
		{10, 5, 5, 1},
		{size, 3, 5, 2},                      // an earlier drop is never undone
		{0, size, size, 1},                   // the first chunk is freed
		{size - 10, size + 36, size + 36, 1}, // Len is 2*size now
		{0, 1 << 30, 2 * size, 0},            // capped at Len; the full last chunk goes too
		{3, 0, 2 * size, 1},
		{size, 2*size + 5, 2*size + 5, 2}, // the first chunk after a full drop starts at Len
		{0, 3*size + 3, 3*size + 3, 0},    // a partly filled last chunk goes too
		{2 * size, 4 * size, 4 * size, 2}, // chunks count from where the list restarted
		{0, 1 << 30, 5*size + 3, 0},       // everything again
		{1, 0, 5*size + 3, 1},
	} {
		for range s.appends {
			l.Append(next)
			next++
		}
		l.DropBefore(s.drop)
		if l.First() != s.first || len(l.chunks) != s.chunks {
			t.Errorf("step %d: First() = %d, chunks %d; want %d, %d", i, l.First(), len(l.chunks), s.first, s.chunks)
		}
		for j := l.First(); j < l.Len(); j++ {
			if got := *l.At(j); got != j {
				t.Fatalf("step %d: At(%d) = %d, want %d", i, j, got, j)
			}
		}
	}
}

// A dropped element holds on to nothing, even while the chunk it was in
// stays for the elements after it.
func TestDropBeforeLetsGo(t *testing.T) {
	var l List[*[64]byte]
	var refs []weak.Pointer[[64]byte]
	for range size + 5 {
		p := new([64]byte)
		refs = append(refs, weak.Make(p))
		l.Append(p)
	}
	for step, drop := range []int{2, 3, size + 1, size + 4} {
		l.DropBefore(drop)
		runtime.GC()
		for i, r := range refs {
			if got, want := r.Value() != nil, i >= drop; got != want {
				t.Errorf("step %d: after DropBefore(%d), element %d in memory: %v, want %v", step, drop, i, got, want)
			}
		}
	}
	runtime.KeepAlive(&l)
}
