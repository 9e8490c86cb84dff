package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// header starts every dump written by Go 1.7 and later.
const header = "go1.7 heap dump\n"

// verify checks that f holds one complete heap dump: the header, then records
// up to the EOF record (tag 0), and nothing after it. It returns the file size.
//
// Checking only that the last byte is 0 is not enough: the runtime writes in
// 4 KiB chunks and object contents are mostly zeros, so a dump cut at a chunk
// boundary often ends in a 0 byte too. So the records are walked, skipping
// their contents (the layouts are those of Go 1.7 to 1.27; see
// docs/heapdump-format.md in this repository, section 2).
func verify(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	if size <= int64(len(header)) {
		return size, fmt.Errorf("file has %d bytes, not even a header and an EOF record", size)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return size, err
	}
	w := walker{r: bufio.NewReaderSize(f, 1<<20), size: size}
	return size, w.walk()
}

// walker reads records from r, which holds size bytes.
type walker struct {
	r    *bufio.Reader
	size int64
	off  int64 // bytes consumed so far
	err  error // first read error
}

var errShort = errors.New("unexpected end of file")

func (w *walker) byte() byte {
	if w.err != nil {
		return 0
	}
	b, err := w.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			err = errShort
		}
		w.err = err
		return 0
	}
	w.off++
	return b
}

func (w *walker) uvarint() uint64 {
	var x uint64
	for shift := uint(0); shift < 70; shift += 7 {
		b := w.byte()
		if w.err != nil {
			return 0
		}
		if b < 0x80 {
			return x | uint64(b)<<shift
		}
		x |= uint64(b&0x7f) << shift
	}
	w.err = fmt.Errorf("varint longer than 10 bytes at offset %d", w.off)
	return 0
}

func (w *walker) uvarints(n int) {
	for i := 0; i < n && w.err == nil; i++ {
		w.uvarint()
	}
}

// bytes skips a length-prefixed string or byte range.
func (w *walker) bytes() {
	n := w.uvarint()
	if w.err != nil {
		return
	}
	if n > uint64(w.size-w.off) {
		w.err = fmt.Errorf("a %d-byte field at offset %d runs past the end of the file (%d bytes)", n, w.off, w.size)
		return
	}
	d, err := w.r.Discard(int(n))
	w.off += int64(d)
	if err != nil {
		w.err = err
	}
}

// fields skips a field list: (kind, offset) pairs ended by kind 0.
func (w *walker) fields() {
	for w.err == nil {
		if w.uvarint() == 0 {
			return
		}
		w.uvarint()
	}
}

func (w *walker) walk() error {
	var h [len(header)]byte
	if _, err := io.ReadFull(w.r, h[:]); err != nil {
		return err
	}
	w.off = int64(len(h))
	if string(h[:]) != header {
		return fmt.Errorf("header is %q, want %q", h[:], header)
	}
	for n := 0; ; n++ {
		at := w.off
		tag := w.uvarint()
		if w.err == nil && n == 0 && tag != 6 {
			return fmt.Errorf("first record has tag %d, want 6 (params)", tag)
		}
		switch tag {
		case 0: // EOF
			if w.err != nil {
				break
			}
			if w.off != w.size {
				return fmt.Errorf("%d bytes after the EOF record at offset %d", w.size-w.off, at)
			}
			return nil
		case 1, 12, 13: // object; data and bss segments: address, contents, fields
			w.uvarint()
			w.bytes()
			w.fields()
		case 3: // type: address, size, name, indirect
			w.uvarints(2)
			w.bytes()
			w.uvarint()
		case 4: // goroutine: 8 numbers, wait reason, 4 numbers
			w.uvarints(8)
			w.bytes()
			w.uvarints(4)
		case 5: // stack frame: sp, depth, child sp, contents, 3 PCs, name, fields
			w.uvarints(3)
			w.bytes()
			w.uvarints(3)
			w.bytes()
			w.fields()
		case 6: // params: endianness, pointer size, heap start and end, arch, version, CPUs
			w.uvarints(4)
			w.bytes()
			w.bytes()
			w.uvarint()
		case 7, 11: // finalizer, queued finalizer
			w.uvarints(5)
		case 8, 17: // itab; alloc sample
			w.uvarints(2)
		case 9: // OS thread
			w.uvarints(3)
		case 10: // memstats
			w.uvarints(281)
		case 14: // defer
			w.uvarints(7)
		case 15: // panic
			w.uvarints(6)
		case 16: // memprof bucket: id, size, frames (name, file, line), allocs, frees
			w.uvarints(2)
			frames := w.uvarint()
			for i := uint64(0); i < frames && w.err == nil; i++ {
				w.bytes()
				w.bytes()
				w.uvarint()
			}
			w.uvarints(2)
		default:
			if w.err == nil {
				return fmt.Errorf("unknown record tag %d at offset %d", tag, at)
			}
		}
		if w.err != nil {
			return fmt.Errorf("record %d (tag %d) at offset %d: %w (file has %d bytes)", n, tag, at, w.err, w.size)
		}
	}
}
