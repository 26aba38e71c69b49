package node

import "testing"

// An image's size bucket is the last whose lower bound the size exceeds,
// as the kubelet's GetImageSizeBucket picks it; 0 is "N/A".
func TestSizeBucket(t *testing.T) {
	for i, tc := range []struct {
		size int64
		want string
	}{
		{0, "N/A"}, {1, "0-10MB"}, {10 << 20, "0-10MB"}, {10<<20 + 1, "10MB-100MB"},
		{100 << 20, "10MB-100MB"}, {100<<20 + 1, "100MB-500MB"}, {1 << 30, "500MB-1GB"},
		{1<<30 + 1, "1GB-5GB"}, {60<<30 + 1, "60GB-100GB"}, {100<<30 + 1, "GT100GB"}, {1 << 62, "GT100GB"},
	} {
		if got := sizeLabel(sizeBucket(tc.size)); got != tc.want {
			t.Errorf("case %d: size %d: bucket %q, want %q", i, tc.size, got, tc.want)
		}
	}
}
