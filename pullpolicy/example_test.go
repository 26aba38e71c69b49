package pullpolicy_test

import (
	"errors"
	"fmt"

	"github.com/pullsim/pullsim/pullpolicy"
)

// The API server fills in an empty imagePullPolicy from the tag alone: Always
// for "latest", written or implied, IfNotPresent for anything else. The
// compare is case-sensitive, and a digest does not change it.
func ExampleDefaultPullPolicy() {
	for _, image := range []string{
		"nginx",
		"nginx:latest",
		"my-app:1.0",
		"nginx:LATEST",
		"nginx:latest@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	} {
		fmt.Printf("%-14s %s\n", pullpolicy.DefaultPullPolicy(image), image)
	}
	// Output:
	// Always         nginx
	// Always         nginx:latest
	// IfNotPresent   my-app:1.0
	// IfNotPresent   nginx:LATEST
	// Always         nginx:latest@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
}

// The kubernetes.io Images page says a digest defaults to IfNotPresent; the
// code looks only at the tag. DigestAwareDefaulting is the documented rule
// (KEP-6083); TagLatestDefaulting, the zero value, is what Kubernetes runs.
// They differ on a "latest" tag pinned by digest.
func ExampleDefaulting_digestAware() {
	fmt.Printf("%-12s  %-12s  %s\n", "code", "docs", "image")
	for _, image := range []string{
		"nginx:latest",
		"nginx:1.25",
		"nginx@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"nginx:latest@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	} {
		code := pullpolicy.TagLatestDefaulting.Default(image)
		docs := pullpolicy.DigestAwareDefaulting.Default(image)
		fmt.Printf("%-12s  %-12s  %s\n", code, docs, image)
	}
	// Output:
	// code          docs          image
	// Always        Always        nginx:latest
	// IfNotPresent  IfNotPresent  nginx:1.25
	// IfNotPresent  IfNotPresent  nginx@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	// Always        IfNotPresent  nginx:latest@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
}

// The lesson's flowchart: Always pulls without asking whether the image is
// there; IfNotPresent and Never use a present image; only an absent one
// separates them.
func ExampleDecide() {
	fmt.Printf("%-14s %-16s %s\n", "policy", "image on node?", "decision")
	for _, p := range []pullpolicy.PullPolicy{pullpolicy.PullAlways, pullpolicy.PullIfNotPresent, pullpolicy.PullNever} {
		if !pullpolicy.NeedsPresenceCheck(p) {
			fmt.Printf("%-14s %-16s %s\n", p, "(not asked)", pullpolicy.Decide(p, false))
			continue
		}
		for _, present := range []bool{true, false} {
			answer := "no"
			if present {
				answer = "yes"
			}
			fmt.Printf("%-14s %-16s %s\n", p, answer, pullpolicy.Decide(p, present))
		}
	}
	// Output:
	// policy         image on node?   decision
	// Always         (not asked)      Pull
	// IfNotPresent   yes              UseCached
	// IfNotPresent   no               Pull
	// Never          yes              UseCached
	// Never          no               NeverPull
}

// Only the exact spellings pass validation; the error wraps a sentinel that
// names the API server's field-error type.
func ExampleParsePullPolicy() {
	for _, s := range []string{"IfNotPresent", "always", ""} {
		p, err := pullpolicy.ParsePullPolicy(s)
		switch {
		case errors.Is(err, pullpolicy.ErrUnsupportedValue):
			fmt.Println("unsupported:", err)
		case errors.Is(err, pullpolicy.ErrRequired):
			fmt.Println("required:", err)
		default:
			fmt.Println("ok:", p)
		}
	}
	// Output:
	// ok: IfNotPresent
	// unsupported: Unsupported value: "always": supported values: "Always", "IfNotPresent", "Never"
	// required: Required value
}

// One image, its spellings: users see the name as written, the runtime is
// handed it with ":latest" appended, credentials are looked up under the
// normalised repository, and the runtime files the image under its full name.
func ExampleParseImageRef() {
	r, err := pullpolicy.ParseImageRef("nginx")
	if err != nil {
		panic(err)
	}
	fmt.Println("requested: ", r.Requested())
	fmt.Println("spec image:", r.SpecImage())
	fmt.Println("repository:", r.Repository())
	fmt.Println("domain:    ", r.Domain())
	fmt.Println("path:      ", r.Path())
	fmt.Println("tag:       ", r.Tag())
	fmt.Println("name:      ", r.Name())

	_, err = pullpolicy.ParseImageRef("NGINX")
	fmt.Println(err)
	// Output:
	// requested:  nginx
	// spec image: nginx:latest
	// repository: docker.io/library/nginx
	// domain:     docker.io
	// path:       library/nginx
	// tag:        latest
	// name:       docker.io/library/nginx:latest
	// couldn't parse image name "NGINX": invalid reference format: repository name (library/NGINX) must be lowercase
}

// A digested reference is filed under repo@digest; the tag beside the digest
// plays no part in the pull (it still decides the default policy).
func ExampleImageRef_Name() {
	for _, image := range []string{
		"nginx",
		"nginx:1.25@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	} {
		r, _ := pullpolicy.ParseImageRef(image)
		fmt.Println(r.Name())
	}
	// Output:
	// docker.io/library/nginx:latest
	// docker.io/library/nginx@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
}
