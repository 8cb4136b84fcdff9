package phone

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/seal"
)

// A recording is stored as a sealed file: the magic line, then frames of a
// 4-byte big-endian length and a sealed chunk of at most chunkSize bytes of
// audio. Each chunk's AAD names the call, the file, the chunk's place and
// whether it is the last, so that a chunk cannot be moved to another file
// or call, and the chunks cannot be reordered, dropped or cut off at the
// end, without opening failing. Chunks let an hour of audio be sealed and
// played without holding it in memory.
const (
	fileMagic = "CLREC1\n"
	chunkSize = 256 << 10
	maxFrame  = chunkSize + 1024 // a sealed chunk: the audio and the seal's header, nonce and tag
)

var (
	errTooLarge = apperr.Invalid("phone.recording_too_large", map[string]string{"audio": "phone.recording_too_large"})
	errEmpty    = apperr.Invalid("phone.recording_empty", map[string]string{"audio": "phone.recording_empty"})
	// errIncomplete: the upload broke off (or went over a limit of the
	// web surface) before its end.
	errIncomplete = apperr.Invalid("phone.recording_incomplete", map[string]string{"audio": "phone.recording_incomplete"})
	errCorrupt    = errors.New("phone: recording file is corrupt")
)

func chunkAAD(callID int64, key string, i int64, last bool) string {
	flag := "0"
	if last {
		flag = "1"
	}
	return "phone_recordings:" + itoa(callID) + ":" + key + ":" + itoa(i) + ":" + flag
}

// writeSealed seals audio from r to w, chunk by chunk, refusing more than
// max bytes or none; it returns the bytes of audio.
func writeSealed(w io.Writer, r io.Reader, sl seal.Sealer, callID int64, key string, max int64) (int64, error) {
	if _, err := io.WriteString(w, fileMagic); err != nil {
		return 0, err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	buf := make([]byte, chunkSize)
	var total int64
	for i := int64(0); ; i++ {
		n, err := io.ReadFull(br, buf)
		last := false
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			last = true
		case err != nil:
			return total, errIncomplete
		default:
			if _, perr := br.Peek(1); perr == io.EOF {
				last = true
			} else if perr != nil {
				return total, errIncomplete
			}
		}
		total += int64(n)
		if total > max {
			return total, errTooLarge
		}
		if n == 0 && i == 0 {
			return 0, errEmpty
		}
		sealed, err := sl.Seal(buf[:n], chunkAAD(callID, key, i, last))
		if err != nil {
			return total, apperr.Internal(err)
		}
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(len(sealed)))
		if _, err := w.Write(hdr[:]); err != nil {
			return total, err
		}
		if _, err := w.Write(sealed); err != nil {
			return total, err
		}
		if last {
			return total, nil
		}
	}
}

// sealedReader opens a sealed recording chunk by chunk as it is read. Any
// chunk that does not open, and a file that ends before its last chunk,
// is an error: no audio of it is returned.
type sealedReader struct {
	src    io.ReadCloser
	br     *bufio.Reader
	sl     seal.Sealer
	callID int64
	key    string
	i      int64
	plain  []byte
	done   bool
}

func openSealed(src io.ReadCloser, sl seal.Sealer, callID int64, key string) (*sealedReader, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	head := make([]byte, len(fileMagic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != fileMagic {
		return nil, errCorrupt
	}
	return &sealedReader{src: src, br: br, sl: sl, callID: callID, key: key}, nil
}

func (r *sealedReader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// next opens the next chunk: as the last one if the file ends after it.
func (r *sealedReader) next() error {
	var hdr [4]byte
	if _, err := io.ReadFull(r.br, hdr[:]); err != nil {
		return errCorrupt // ended before the last chunk
	}
	size := binary.BigEndian.Uint32(hdr[:])
	if size == 0 || size > maxFrame {
		return errCorrupt
	}
	frame := make([]byte, size)
	if _, err := io.ReadFull(r.br, frame); err != nil {
		return errCorrupt
	}
	_, err := r.br.Peek(1)
	last := err == io.EOF
	plain, err := r.sl.Open(frame, chunkAAD(r.callID, r.key, r.i, last))
	if err != nil {
		return errCorrupt
	}
	r.i++
	r.plain, r.done = plain, last
	return nil
}

func (r *sealedReader) Close() error { return r.src.Close() }
