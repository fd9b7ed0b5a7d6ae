// Command go-interop is the Go side of Tally's interoperability test: it uses
// golang.org/x/mod/sumdb/note, the reference implementation of signed notes, to
// generate keys, sign notes and verify notes, so the Rust test can check that
// keys and notes cross between Go and `tally` in both directions.
//
// Build offline against Debian's golang-golang-x-mod-dev:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o go-interop main.go
//
// Usage:
//
//	go-interop generate NAME       prints the signer key, then the verifier key
//	go-interop sign SKEY-FILE      signs the note text on stdin
//	go-interop verify VKEY...      verifies the note on stdin, prints its text
//
// Exit status: 0 success, 1 verification failed, 2 bad input.
package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go-interop: "+format+"\n", args...)
	os.Exit(code)
}

func main() {
	if len(os.Args) < 3 {
		fail(2, "usage: go-interop generate NAME | sign SKEY-FILE | verify VKEY...")
	}
	switch os.Args[1] {
	case "generate":
		skey, vkey, err := note.GenerateKey(rand.Reader, os.Args[2])
		if err != nil {
			fail(2, "generate: %v", err)
		}
		fmt.Printf("%s\n%s\n", skey, vkey)
	case "sign":
		raw, err := os.ReadFile(os.Args[2])
		if err != nil {
			fail(2, "%v", err)
		}
		signer, err := note.NewSigner(strings.TrimSpace(string(raw)))
		if err != nil {
			fail(2, "signer key: %v", err)
		}
		text, err := io.ReadAll(os.Stdin)
		if err != nil {
			fail(2, "stdin: %v", err)
		}
		msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
		if err != nil {
			fail(2, "sign: %v", err)
		}
		os.Stdout.Write(msg)
	case "verify":
		var verifiers []note.Verifier
		for _, vkey := range os.Args[2:] {
			v, err := note.NewVerifier(vkey)
			if err != nil {
				fail(2, "verifier key %q: %v", vkey, err)
			}
			verifiers = append(verifiers, v)
		}
		msg, err := io.ReadAll(os.Stdin)
		if err != nil {
			fail(2, "stdin: %v", err)
		}
		n, err := note.Open(msg, note.VerifierList(verifiers...))
		if err != nil {
			fail(1, "open: %v", err)
		}
		for _, s := range n.Sigs {
			fmt.Fprintf(os.Stderr, "verified %s+%08x\n", s.Name, s.Hash)
		}
		os.Stdout.WriteString(n.Text)
	default:
		fail(2, "unknown command %q", os.Args[1])
	}
}
