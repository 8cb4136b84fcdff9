package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
)

// signature is WeChat's signature of a push: the hex SHA-1 of its parts
// (token, timestamp, nonce and, in encrypted mode, the ciphertext) sorted
// as strings and joined without a separator.
func signature(parts ...string) string {
	sorted := slices.Clone(parts)
	slices.Sort(sorted)
	sum := sha1.Sum([]byte(strings.Join(sorted, "")))
	return hex.EncodeToString(sum[:])
}

// signed reports, in constant time, whether got is the signature of parts.
func signed(got string, parts ...string) bool {
	want := signature(parts...)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}

// aesKey decodes an EncodingAESKey: 43 base64 characters that, with "="
// appended, decode to the 32-byte AES-256 key.
func aesKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, errors.New("wechat: the EncodingAESKey must be 43 characters")
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wechat: the EncodingAESKey is not valid base64 of 32 bytes")
	}
	return key, nil
}

// padBlock is the block size of WeChat's PKCS#7 padding: 32 bytes, not
// AES's 16.
const padBlock = 32

// decrypt opens the Encrypt element of a push: AES-256-CBC with the IV
// being the key's first 16 bytes, PKCS#7 padding to 32-byte blocks, and
// inside 16 random bytes, the message's length (4 bytes, big-endian), the
// message and the AppID it was meant for. It returns ErrBadCipher for
// anything that does not decode, and ErrWrongApp when the AppID is not
// appID. Only call it after the signature over the ciphertext was checked:
// the padding check would otherwise answer questions about the plaintext.
func decrypt(key []byte, encrypted, appID string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil || len(ct) == 0 || len(ct)%padBlock != 0 {
		return nil, ErrBadCipher
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, ErrBadCipher
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:aes.BlockSize]).CryptBlocks(pt, ct)
	n := int(pt[len(pt)-1])
	if n < 1 || n > padBlock {
		return nil, ErrBadCipher
	}
	for _, b := range pt[len(pt)-n:] {
		if int(b) != n {
			return nil, ErrBadCipher
		}
	}
	pt = pt[:len(pt)-n]
	if len(pt) < 20 {
		return nil, ErrBadCipher
	}
	size := binary.BigEndian.Uint32(pt[16:20])
	if uint64(size) > uint64(len(pt)-20) {
		return nil, ErrBadCipher
	}
	msg, app := pt[20:20+int(size)], pt[20+int(size):]
	if string(app) != appID {
		return nil, ErrWrongApp
	}
	return msg, nil
}
