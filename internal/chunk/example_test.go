package chunk_test

import (
	"fmt"

	"github.com/pullsim/pullsim/internal/chunk"
)

// A List grows by appending; At gives a pointer to an element, through
// which it can be read or updated in place. The zero value is ready to use.
func ExampleList() {
	var l chunk.List[string]
	for _, r := range []string{"Pulling", "Pulled", "Created", "Started"} {
		l.Append(r)
	}
	fmt.Println(l.Len())
	*l.At(3) = "Started (updated)"
	for i := 0; i < l.Len(); i++ {
		fmt.Println(i, *l.At(i))
	}

	// More elements than fit in one chunk: indices keep counting across chunks.
	var n chunk.List[int]
	for i := 0; i < 1000; i++ {
		n.Append(i * i)
	}
	fmt.Println(n.Len(), *n.At(999))
	// Output:
	// 4
	// 0 Pulling
	// 1 Pulled
	// 2 Created
	// 3 Started (updated)
	// 1000 998001
}
