package chunk

import "testing"

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
