package seal

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"testing"

	"github.com/emmansun/gmsm/sm4"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSM4BlockKnownAnswer checks the SM4 block cipher against the GB/T
// 32907-2016 appendix A examples, proving the wired cipher is real SM4.
func TestSM4BlockKnownAnswer(t *testing.T) {
	const (
		keyHex = "0123456789abcdeffedcba9876543210"
		once   = "681edf34d206965e86b3e94f536e4246"
		// Example 2: the same plaintext encrypted 1,000,000 times.
		million = "595298c7c6fd271f0402f804c33d3f66"
	)
	key := unhex(t, keyHex)
	c, err := sm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	block := unhex(t, keyHex) // plaintext equals the key in the standard
	c.Encrypt(block, block)
	if got := hex.EncodeToString(block); got != once {
		t.Fatalf("SM4 encrypt = %s, want %s", got, once)
	}
	c.Decrypt(block, block)
	if got := hex.EncodeToString(block); got != keyHex {
		t.Fatalf("SM4 decrypt = %s, want %s", got, keyHex)
	}
	if testing.Short() {
		return
	}
	for range 1000000 {
		c.Encrypt(block, block)
	}
	if got := hex.EncodeToString(block); got != million {
		t.Fatalf("SM4 encrypt x1e6 = %s, want %s", got, million)
	}
}

// TestAEADKnownAnswer checks the AEADs built by newAEAD (the ones Seal and
// Open use) against published GCM vectors: RFC 8998 A.1 for SM4-GCM and
// the McGrew-Viega GCM spec test case 16 for AES-256-GCM.
func TestAEADKnownAnswer(t *testing.T) {
	tests := []struct {
		name                     string
		algo                     Algorithm
		key, nonce, pt, ad, want string
	}{
		{
			name:  "SM4-GCM RFC 8998",
			algo:  SM4GCM,
			key:   "0123456789abcdeffedcba9876543210",
			nonce: "00001234567800000000abcd",
			pt: "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd" +
				"eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
			ad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
			want: "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735" +
				"d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d" +
				"83de3541e4c2b58177e065a9bf7b62ec",
		},
		{
			name:  "AES-256-GCM test case 16",
			algo:  AES256GCM,
			key:   "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
			nonce: "cafebabefacedbaddecaf888",
			pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
				"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
			ad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
			want: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
				"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" +
				"76fc6ece0f4e1768cddf8853bb2d551b",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			aead, err := newAEAD(tt.algo, unhex(t, tt.key))
			if err != nil {
				t.Fatal(err)
			}
			nonce, pt, ad := unhex(t, tt.nonce), unhex(t, tt.pt), unhex(t, tt.ad)
			got := aead.Seal(nil, nonce, pt, ad)
			if hex.EncodeToString(got) != tt.want {
				t.Fatalf("Seal = %x\nwant   %s", got, tt.want)
			}
			back, err := aead.Open(nil, nonce, got, ad)
			if err != nil || !bytes.Equal(back, pt) {
				t.Fatalf("Open = %x, %v", back, err)
			}
		})
	}
}

// TestAESBlockIsAES guards against newAEAD silently picking the wrong block
// cipher for AES256GCM: FIPS-197 appendix C.3 AES-256 vector.
func TestAESBlockIsAES(t *testing.T) {
	c, err := aes.NewCipher(unhex(t, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 16)
	c.Encrypt(out, unhex(t, "00112233445566778899aabbccddeeff"))
	if got := hex.EncodeToString(out); got != "8ea2b7ca516745bfeafc49904b496089" {
		t.Fatalf("AES-256 = %s", got)
	}
}
