package wechat

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"testing"
)

func TestDecryptRefusesWhatDoesNotDecode(t *testing.T) {
	key, err := aesKey(fxAESKey)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("<xml><Content>hi</Content></xml>")
	body := func(size uint32) []byte {
		pt := make([]byte, 16)
		pt = binary.BigEndian.AppendUint32(pt, size)
		pt = append(pt, msg...)
		return append(pt, fxAppID...)
	}
	// A well-formed plaintext padded to a 32-byte multiple, whose padding
	// the case then spoils.
	padded := func(pt []byte, spoil func([]byte)) string {
		n := padBlock - len(pt)%padBlock
		for range n {
			pt = append(pt, byte(n))
		}
		if spoil != nil {
			spoil(pt)
		}
		return fxSeal(key, pt, 0)
	}
	if got, err := decrypt(key, padded(body(uint32(len(msg))), nil), fxAppID); err != nil || string(got) != string(msg) {
		t.Fatalf("well-formed: %q %v", got, err)
	}
	for name, enc := range map[string]string{
		"not base64":           "%%%",
		"one AES block only":   base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"empty":                "",
		"a padding byte wrong": padded(body(uint32(len(msg))), func(pt []byte) { pt[len(pt)-2]-- }),
		"padding over 32":      padded(body(uint32(len(msg))), func(pt []byte) { pt[len(pt)-1] = 33 }),
		"length past the end":  padded(body(uint32(len(msg)+len(fxAppID)+1)), nil),
		"length over 2^31":     padded(body(0xfffffff0), nil),
		"padding byte 255":     fxSeal(key, bytes.Repeat([]byte{0xff}, padBlock), 0),
	} {
		if _, err := decrypt(key, enc, fxAppID); !errors.Is(err, ErrBadCipher) {
			t.Errorf("%s: %v, want ErrBadCipher", name, err)
		}
	}
	if _, err := decrypt(key, padded(body(uint32(len(msg))), nil), "wx0000000000000000"); !errors.Is(err, ErrWrongApp) {
		t.Errorf("another AppID: %v", err)
	}
}

// Nothing that reaches decrypt or the XML parser makes them panic.
func FuzzDecrypt(f *testing.F) {
	key, _ := aesKey(fxAESKey)
	f.Add(fxEncrypt("<xml/>", fxAppID, 1))
	f.Add(badPadding())
	f.Add(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 64)))
	f.Fuzz(func(t *testing.T, enc string) {
		msg, err := decrypt(key, enc, fxAppID)
		if err == nil && msg == nil {
			t.Fatal("no message and no error")
		}
	})
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(textXML(fxStamp, "1", fxText)))
	f.Add([]byte(eventXML(fxStamp, "subscribe")))
	f.Add([]byte("<!DOCTYPE xml [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><Content>&e;</Content></xml>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMessage(b)
		if err == nil && (m.FromUserName == "" || (m.routed() && m.MsgID == "")) {
			t.Fatalf("accepted %+v", m)
		}
		if err == nil {
			_ = m.text()
		}
	})
}
