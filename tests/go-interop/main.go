// Command go-interop is the Go side of Tally's interoperability test: it uses
// golang.org/x/mod/sumdb/note, the reference implementation of signed notes, to
// generate keys, sign notes and verify notes, so the Rust test can check that
// keys and notes cross between Go and `tally` in both directions; and
// golang.org/x/mod/sumdb/tlog, the reference implementation of the tiled
// Merkle tree behind the checksum database, to compute tree hashes and proofs
// and to check proofs made by Tally.
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
//	go-interop tree N              builds the tree of records "record <i>\n",
//	                               i < N, and prints as JSON, for every size
//	                               0..N, the tree hash, the tlog.FormatTree
//	                               text, every inclusion proof and every
//	                               consistency proof (from each old size >= 1)
//	go-interop checkrecord         checks the JSON array of inclusion proofs on
//	                               stdin with tlog.CheckRecord
//	go-interop checktree           checks the JSON array of consistency proofs
//	                               on stdin with tlog.CheckTree
//	go-interop opentree VKEY       verifies the note on stdin and parses its
//	                               text with tlog.ParseTree; prints JSON
//	go-interop makeproof SKEY-FILE N I
//	                               prints a c2sp.org/tlog-proof of record I in
//	                               the tree of N records, under a checkpoint
//	                               signed with the key, with an extra line
//	go-interop checkproof VKEY ENTRY-FILE
//	                               checks the c2sp.org/tlog-proof on stdin for
//	                               the entry: the log's signature (other
//	                               signatures are ignored), then
//	                               tlog.CheckRecord; prints "ok INDEX SIZE"
//
// checkrecord and checktree print one line per proof, "ok" or "error: ...".
// Hashes are standard base64 everywhere (tlog.Hash's JSON form).
//
// Exit status: 0 success, 1 verification failed (for checkrecord/checktree:
// at least one proof failed), 2 bad input.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go-interop: "+format+"\n", args...)
	os.Exit(code)
}

func main() {
	if len(os.Args) < 2 {
		fail(2, "usage: go-interop generate NAME | sign SKEY-FILE | verify VKEY... | "+
			"tree N | checkrecord | checktree | opentree VKEY")
	}
	need := func(n int) {
		if len(os.Args) < 2+n {
			fail(2, "%s: want %d argument(s)", os.Args[1], n)
		}
	}
	switch os.Args[1] {
	case "generate":
		need(1)
		skey, vkey, err := note.GenerateKey(rand.Reader, os.Args[2])
		if err != nil {
			fail(2, "generate: %v", err)
		}
		fmt.Printf("%s\n%s\n", skey, vkey)
	case "sign":
		need(1)
		signer := readSigner(os.Args[2])
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
		need(1)
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
	case "tree":
		need(1)
		n, err := strconv.ParseInt(os.Args[2], 10, 64)
		if err != nil || n < 0 {
			fail(2, "tree: bad size %q", os.Args[2])
		}
		printJSON(buildTree(n))
	case "checkrecord":
		var proofs []recordProof
		readJSON(&proofs)
		check(len(proofs), func(i int) error {
			p := proofs[i]
			return tlog.CheckRecord(p.Proof, p.Size, p.Root, p.Index, p.Leaf)
		})
	case "checktree":
		var proofs []treeProof
		readJSON(&proofs)
		check(len(proofs), func(i int) error {
			p := proofs[i]
			return tlog.CheckTree(p.Proof, p.Size, p.Root, p.OldSize, p.OldRoot)
		})
	case "opentree":
		need(1)
		v, err := note.NewVerifier(os.Args[2])
		if err != nil {
			fail(2, "verifier key %q: %v", os.Args[2], err)
		}
		msg, err := io.ReadAll(os.Stdin)
		if err != nil {
			fail(2, "stdin: %v", err)
		}
		n, err := note.Open(msg, note.VerifierList(v))
		if err != nil {
			fail(1, "open: %v", err)
		}
		out := openedTree{Text: n.Text}
		if tree, err := tlog.ParseTree([]byte(n.Text)); err != nil {
			out.ParseError = err.Error()
		} else {
			out.Size, out.Hash = &tree.N, &tree.Hash
		}
		printJSON(out)
	case "makeproof":
		need(3)
		signer := readSigner(os.Args[2])
		n, err1 := strconv.ParseInt(os.Args[3], 10, 64)
		i, err2 := strconv.ParseInt(os.Args[4], 10, 64)
		if err1 != nil || err2 != nil || i < 0 || i >= n {
			fail(2, "makeproof: want 0 <= I < N")
		}
		os.Stdout.WriteString(makeProof(signer, n, i))
	case "checkproof":
		need(2)
		v, err := note.NewVerifier(os.Args[2])
		if err != nil {
			fail(2, "verifier key %q: %v", os.Args[2], err)
		}
		entry, err := os.ReadFile(os.Args[3])
		if err != nil {
			fail(2, "%v", err)
		}
		text, err := io.ReadAll(os.Stdin)
		if err != nil {
			fail(2, "stdin: %v", err)
		}
		index, size, err := checkProof(v, entry, string(text))
		if err != nil {
			fail(1, "checkproof: %v", err)
		}
		fmt.Printf("ok %d %d\n", index, size)
	default:
		fail(2, "unknown command %q", os.Args[1])
	}
}

// recordProof is an inclusion proof: leaf Index (with record hash Leaf) is in
// the tree of Size records with hash Root.
type recordProof struct {
	Index int64            `json:"index"`
	Size  int64            `json:"size"`
	Leaf  tlog.Hash        `json:"leaf"`
	Root  tlog.Hash        `json:"root"`
	Proof tlog.RecordProof `json:"proof"`
}

// treeProof is a consistency proof: the tree of Size records with hash Root
// extends the tree of OldSize records with hash OldRoot.
type treeProof struct {
	OldSize int64          `json:"old_size"`
	OldRoot tlog.Hash      `json:"old_root"`
	Size    int64          `json:"size"`
	Root    tlog.Hash      `json:"root"`
	Proof   tlog.TreeProof `json:"proof"`
}

// treeSize is one size of the tree: its hash and its tlog.FormatTree text.
type treeSize struct {
	Size       int64     `json:"size"`
	Hash       tlog.Hash `json:"hash"`
	FormatTree string    `json:"format_tree"`
}

type treeOutput struct {
	Records     []string      `json:"records"`
	Leaves      []tlog.Hash   `json:"leaves"`
	Sizes       []treeSize    `json:"sizes"`
	Inclusion   []recordProof `json:"inclusion"`
	Consistency []treeProof   `json:"consistency"`
}

type openedTree struct {
	Text       string     `json:"text"`
	Size       *int64     `json:"size,omitempty"`
	Hash       *tlog.Hash `json:"hash,omitempty"`
	ParseError string     `json:"parse_error,omitempty"`
}

// buildTree stores the records "record <i>\n" (i < n) with tlog.StoredHashes
// and proves everything provable about every tree size up to n.
func buildTree(n int64) treeOutput {
	var stored []tlog.Hash
	r := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= int64(len(stored)) {
				return nil, fmt.Errorf("stored hash %d not written", x)
			}
			out[i] = stored[x]
		}
		return out, nil
	})
	out := treeOutput{
		Records:     []string{},
		Leaves:      []tlog.Hash{},
		Inclusion:   []recordProof{},
		Consistency: []treeProof{},
	}
	for i := int64(0); i < n; i++ {
		rec := fmt.Sprintf("record %d\n", i)
		hashes, err := tlog.StoredHashes(i, []byte(rec), r)
		if err != nil {
			fail(2, "StoredHashes(%d): %v", i, err)
		}
		stored = append(stored, hashes...)
		out.Records = append(out.Records, rec)
		out.Leaves = append(out.Leaves, tlog.RecordHash([]byte(rec)))
	}
	roots := make([]tlog.Hash, n+1)
	for size := int64(0); size <= n; size++ {
		h, err := tlog.TreeHash(size, r)
		if err != nil {
			fail(2, "TreeHash(%d): %v", size, err)
		}
		roots[size] = h
		text := string(tlog.FormatTree(tlog.Tree{N: size, Hash: h}))
		out.Sizes = append(out.Sizes, treeSize{size, h, text})
	}
	for size := int64(1); size <= n; size++ {
		for index := int64(0); index < size; index++ {
			p, err := tlog.ProveRecord(size, index, r)
			if err != nil {
				fail(2, "ProveRecord(%d, %d): %v", size, index, err)
			}
			if p == nil {
				p = tlog.RecordProof{}
			}
			out.Inclusion = append(out.Inclusion,
				recordProof{index, size, out.Leaves[index], roots[size], p})
		}
		for old := int64(1); old <= size; old++ {
			p, err := tlog.ProveTree(size, old, r)
			if err != nil {
				fail(2, "ProveTree(%d, %d): %v", size, old, err)
			}
			if p == nil {
				p = tlog.TreeProof{}
			}
			out.Consistency = append(out.Consistency,
				treeProof{old, roots[old], size, roots[size], p})
		}
	}
	return out
}

// check prints "ok" or "error: ..." for each of n proofs and exits 1 if any failed.
func check(n int, one func(int) error) {
	failed := false
	for i := 0; i < n; i++ {
		if err := one(i); err != nil {
			fmt.Printf("error: %v\n", err)
			failed = true
		} else {
			fmt.Println("ok")
		}
	}
	if failed {
		os.Exit(1)
	}
}

func readJSON(v interface{}) {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(2, "stdin: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		fail(2, "stdin: %v", err)
	}
}

func printJSON(v interface{}) {
	data, err := json.Marshal(v)
	if err != nil {
		fail(2, "json: %v", err)
	}
	os.Stdout.Write(append(data, '\n'))
}

// readSigner reads a note signer key from the file at path.
func readSigner(path string) note.Signer {
	raw, err := os.ReadFile(path)
	if err != nil {
		fail(2, "%v", err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(raw)))
	if err != nil {
		fail(2, "signer key: %v", err)
	}
	return signer
}

// makeProof writes a c2sp.org/tlog-proof of record i of the tree of n records
// "record <i>\n", from tlog.ProveRecord, under a checkpoint (origin: the
// signer's name) signed with note.Sign.
func makeProof(signer note.Signer, n, i int64) string {
	t := buildTree(n)
	root := t.Sizes[n].Hash
	var proof tlog.RecordProof
	for _, p := range t.Inclusion {
		if p.Size == n && p.Index == i {
			proof = p.Proof
		}
	}
	body := fmt.Sprintf("%s\n%d\n%s\n", signer.Name(), n, base64.StdEncoding.EncodeToString(root[:]))
	cp, err := note.Sign(&note.Note{Text: body}, signer)
	if err != nil {
		fail(2, "sign: %v", err)
	}
	var b strings.Builder
	b.WriteString("c2sp.org/tlog-proof@v1\n")
	b.WriteString("extra " + base64.StdEncoding.EncodeToString([]byte("made by go-interop")) + "\n")
	fmt.Fprintf(&b, "index %d\n", i)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(cp)
	return b.String()
}

// checkProof reads a c2sp.org/tlog-proof as its specification says, written
// here independently of Tally's reader, and checks it for entry.
func checkProof(v note.Verifier, entry []byte, text string) (int64, int64, error) {
	head, checkpoint, found := strings.Cut(text, "\n\n")
	if !found {
		return 0, 0, fmt.Errorf("no empty line before the checkpoint")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		return 0, 0, fmt.Errorf("first line %q", lines[0])
	}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return 0, 0, fmt.Errorf("no index line")
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "index "), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("index: %v", err)
	}
	var proof tlog.RecordProof
	for _, l := range lines[1:] {
		h, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(h) != tlog.HashSize {
			return 0, 0, fmt.Errorf("proof line %q", l)
		}
		var hash tlog.Hash
		copy(hash[:], h)
		proof = append(proof, hash)
	}
	n, err := note.Open([]byte(checkpoint), note.VerifierList(v))
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint: %v", err)
	}
	body := strings.Split(n.Text, "\n")
	if len(body) < 4 || body[0] != v.Name() {
		return 0, 0, fmt.Errorf("checkpoint origin %q", body[0])
	}
	size, err := strconv.ParseInt(body[1], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint size: %v", err)
	}
	r, err := base64.StdEncoding.DecodeString(body[2])
	if err != nil || len(r) != tlog.HashSize {
		return 0, 0, fmt.Errorf("checkpoint root %q", body[2])
	}
	var root tlog.Hash
	copy(root[:], r)
	if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(entry)); err != nil {
		return 0, 0, err
	}
	return index, size, nil
}
